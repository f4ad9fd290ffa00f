#include <set>

#include "agent/cli/commands.h"
#include "agent/cli/desired_args.h"
#include "agent/cli/kube_connect.h"
#include "agent/cli/rabbit_connect.h"
#include "agent/fs/disk_file_tree.h"
#include "agent/kube/live_state.h"
#include "agent/rabbitmq/live_topology.h"
#include "agent/reconcile/kube_stage.h"
#include "agent/reconcile/reconcile.h"
#include "diff/engine/diff.h"
#include "diff/engine/render.h"
#include "diff/model/loader.h"
#include "diff/rabbit/broker_version.h"
#include "diff/rabbit/desired_topology.h"
#include "diff/rabbit/topology_diff.h"

namespace warren::cli {
namespace {

Result<diff::IgnoreConfig> LoadIgnoreConfig(const DiskFileTree& tree, const std::string& file) {
  WARREN_ASSIGN_OR_RETURN(auto text, tree.Read(file));
  WARREN_ASSIGN_OR_RETURN(auto docs, DecodeYaml(text, file));
  if (docs.empty()) return Status::Invalid(file + ": empty ignore config");
  return diff::ParseIgnoreConfig(docs[0].value, file);
}

// Server-side fields a dry-run answer carries that are not part of the intent.
Object StripServerFields(Object o) {
  Json& meta = o.mutable_doc()["metadata"];
  for (const char* f : {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"}) meta.erase(f);
  o.mutable_doc().erase("status");
  return o;
}

// The live objects of the desired set, plus what sync would prune (reconcile::PruneCandidates):
// labelled objects the LISTs happen to show but the inventory does not list are not warren's to
// prune, and listed ones the LISTs did not cover are read.
Status PruneCandidatesFromInventory(kube::KubeClient& client, const std::string& inventory_ns,
                                    const std::vector<Object>& desired, std::vector<Object>* live) {
  auto inventory = reconcile::ReadInventory(client, inventory_ns, reconcile::kInventoryName);
  if (!inventory.ok()) return inventory.status().WithContext("read warren's inventory");
  std::set<ResourceKey> wanted;
  for (const Object& o : desired) wanted.insert(o.key());
  std::vector<Object> kept, others;
  for (Object& o : *live) (wanted.count(o.key()) ? kept : others).push_back(std::move(o));
  WARREN_ASSIGN_OR_RETURN(auto prunes, reconcile::PruneCandidates(client, inventory.value(), desired, others));
  for (Object& o : prunes) kept.push_back(std::move(o));
  *live = std::move(kept);
  return Status::Ok();
}

Result<std::vector<Object>> LiveFromCluster(const DiffArgs& args, const std::string& inventory_ns,
                                            std::vector<Object>* desired) {
  WARREN_ASSIGN_OR_RETURN(auto client, ConnectKube(args.kube));
  WARREN_ASSIGN_OR_RETURN(auto live, kube::FetchLive(*client, *desired));
  WARREN_RETURN_IF_ERROR(PruneCandidatesFromInventory(*client, inventory_ns, *desired, &live));
  if (args.server_dry_run) {
    WARREN_ASSIGN_OR_RETURN(auto predicted, kube::PredictApply(*client, *desired));
    desired->clear();
    for (Object& o : predicted) desired->push_back(StripServerFields(std::move(o)));
  }
  return live;
}

Result<diff::DiffReport> DiffKubernetes(const DiskFileTree& tree, const DiffArgs& args, std::vector<Object> desired,
                                        const LoadOptions& options) {
  Result<std::vector<Object>> live = std::vector<Object>{};
  if (!args.live_file.empty()) {
    // Same loader as the manifests: size limit, any extension, Lists, duplicate identities.
    live = LoadManifests(tree, {args.live_file}, options);
    if (!live.ok()) return live.status().WithContext("live state");
  } else {
    std::string inventory_ns = !args.inventory_namespace.empty()
                                   ? args.inventory_namespace
                                   : reconcile::DefaultInventoryNamespace(desired, options.default_namespace);
    live = LiveFromCluster(args, inventory_ns, &desired);
    if (!live.ok()) return live.status();
  }
  diff::DiffOptions diff_options;
  if (!args.ignore_config.empty()) {
    WARREN_ASSIGN_OR_RETURN(auto ignore, LoadIgnoreConfig(tree, args.ignore_config));
    diff_options.ignore = std::move(ignore);
  }
  return diff::Diff(desired, live.value(), diff_options);
}

// `kube`: the Kubernetes connection when a cluster is named, for credentials the set lacks.
Result<diff::DiffReport> DiffRabbit(const RabbitArgs& args, const KubeArgs* kube, const LoadedManifests& repo,
                                    std::ostream& err) {
  std::unique_ptr<kube::KubeClient> cluster;
  if (kube && !rabbit::SecretsNotInSet(repo.objects).empty()) {
    WARREN_ASSIGN_OR_RETURN(auto client, ConnectKube(*kube));
    cluster = std::move(client);
  }
  WARREN_ASSIGN_OR_RETURN(auto objects, reconcile::WithClusterSecrets(repo.objects, cluster.get(), /*write=*/false));
  WARREN_ASSIGN_OR_RETURN(auto desired, rabbit::DesiredTopology(objects, repo.definitions));
  WARREN_ASSIGN_OR_RETURN(auto client, ConnectRabbit(args));
  WARREN_ASSIGN_OR_RETURN(auto live, rabbitmq::ReadLiveTopology(*client, args.inventory));
  WARREN_RETURN_IF_ERROR(rabbit::CheckBrokerVersion(desired, live.broker_version));
  for (const std::string& line : rabbit::BrokerVersionNotes(desired, live.broker_version))
    err << "warren diff: note: " << line << "\n";
  return rabbit::DiffTopology(desired, live.state, live.inventory);
}

}  // namespace

int RunDiff(const DiffArgs& args, std::ostream& out, std::ostream& err) {
  // Kubernetes live state from a captured file, or else from the cluster: always without
  // --rabbitmq-url, and with it when a cluster is named, as for sync.
  bool kube = !args.live_file.empty() || !args.rabbit.enabled() || ClusterNamed(args.kube);
  DiskFileTree tree;
  LoadOptions options;
  options.default_namespace = kube && args.live_file.empty()
                                  ? DefaultNamespace(args.kube, args.namespace_given, args.default_namespace)
                                  : args.default_namespace;
  auto desired = LoadDesired(args.paths, args.source, options.default_namespace, err);
  if (!desired.ok()) {
    err << "warren diff: " << desired.status().message() << "\n";
    return kExitError;
  }
  const std::string& commit = desired.value().commit;
  const LoadedManifests& repo = desired.value().manifests;
  diff::DiffReport report;
  if (kube) {
    // With a broker to compare against, the topology documents are RabbitMQ's business, not the
    // API server's.
    std::vector<Object> kube_objects;
    for (const Object& o : repo.objects)
      if (!args.rabbit.enabled() || !rabbit::IsTopologyObject(o)) kube_objects.push_back(o);
    auto k = DiffKubernetes(tree, args, std::move(kube_objects), options);
    if (!k.ok()) {
      err << "warren diff: " << k.status().message() << "\n";
      return kExitError;
    }
    report.Append(std::move(k).value());
  }
  if (args.rabbit.enabled()) {
    for (const std::string& line : rabbit::NotCarried(repo.objects)) err << "warren diff: note: " << line << "\n";
    auto r = DiffRabbit(args.rabbit, kube && args.live_file.empty() ? &args.kube : nullptr, repo, err);
    if (!r.ok()) {
      err << "warren diff: " << r.status().message() << "\n";
      return kExitError;
    }
    report.Append(std::move(r).value());
  }
  if (args.output == "json") {
    Json j = diff::ToJson(report);
    if (!commit.empty()) j["source"] = {{"repo", args.source.repo}, {"ref", args.source.ref}, {"commit", commit}};
    out << j.dump(2) << "\n";
  } else {
    if (!commit.empty()) out << "commit " << commit << "\n";
    out << diff::RenderText(report, args.color);
  }
  return report.HasDrift() ? kExitFindings : kExitClean;
}

}  // namespace warren::cli
