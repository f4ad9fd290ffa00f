#include <future>
#include <optional>

#include "agent/cli/commands.h"
#include "agent/cli/desired_args.h"
#include "agent/cli/keep_until_exit.h"
#include "agent/cli/kube_connect.h"
#include "agent/cli/rabbit_connect.h"
#include "agent/fs/disk_file_tree.h"
#include "agent/reconcile/kube_stage.h"
#include "agent/reconcile/reconcile.h"
#include "diff/engine/render.h"
#include "diff/model/loader.h"

namespace warren::cli {
namespace {

Result<diff::IgnoreConfig> LoadIgnoreConfig(const DiskFileTree& tree, const std::string& file) {
  WARREN_ASSIGN_OR_RETURN(auto text, tree.Read(file));
  WARREN_ASSIGN_OR_RETURN(auto docs, DecodeYaml(text, file));
  if (docs.empty()) return Status::Invalid(file + ": empty ignore config");
  return diff::ParseIgnoreConfig(docs[0].value, file);
}

}  // namespace

int RunDiff(const DiffArgs& args, std::ostream& out, std::ostream& err) {
  KeepFreedMemory();
  // Kubernetes live state from a captured file, or else from the cluster: always without
  // --rabbitmq-url, and with it when a cluster is named, as for sync.
  bool kube = !args.live_file.empty() || !args.rabbit.enabled() || ClusterNamed(args.kube);
  DiskFileTree tree;
  LoadOptions options;
  options.default_namespace = kube && args.live_file.empty()
                                  ? DefaultNamespace(args.kube, args.namespace_given, args.default_namespace)
                                  : args.default_namespace;
  auto fail = [&](const Status& s) {
    err << "warren diff: " << s.message() << "\n";
    return kExitError;
  };
  // A captured live state is read on a second core while git's is loaded: on a large List the
  // two reads are most of a diff's time. (Errors are said in the same order as before.)
  std::future<Result<std::vector<Object>>> live_read;
  if (kube && !args.live_file.empty()) {
    // Each item of a large List stays text until its pair is diffed: 10,000 live trees were
    // half the memory.
    LoadOptions live_options = options;
    live_options.defer_list_items_above = 1u << 20;
    live_read = std::async(std::launch::async,
                           [&, live_options] { return LoadManifests(tree, {args.live_file}, live_options); });
  }
  auto desired = LoadDesired(args.paths, args.source, options.default_namespace, err, &args.kube);
  if (!desired.ok()) return fail(desired.status());
  const std::string& commit = desired.value().commit;
  const LoadedManifests& repo = desired.value().manifests;

  // The plan sync and the agent make (reconcile::ReconcileOnce, plan only): the same stages, the
  // same prune candidates, the same broker checks.
  reconcile::Options plan;
  plan.plan_only = true;
  plan.prune = true;  // show what sync --prune would delete
  plan.server_dry_run = args.server_dry_run;
  plan.ownership_labels = false;  // the manifests as written
  plan.rabbit_inventory = args.rabbit.inventory;
  if (!args.ignore_config.empty()) {
    auto ignore = LoadIgnoreConfig(tree, args.ignore_config);
    if (!ignore.ok()) return fail(ignore.status());
    plan.diff_options.ignore = std::move(ignore).value();
  }
  reconcile::Targets targets;
  std::unique_ptr<kube::KubeClient> cluster;
  std::optional<reconcile::LiveFromList> captured;
  if (kube && !args.live_file.empty()) {
    // Same loader as the manifests: size limit, any extension, Lists, duplicate identities.
    auto live = live_read.get();
    if (!live.ok()) return fail(live.status().WithContext("live state"));
    captured.emplace(std::move(live).value());
    targets.live = &*captured;
  } else if (kube) {
    auto client = ConnectKube(args.kube);
    if (!client.ok()) return fail(client.status());
    cluster = std::move(client).value();
    targets.kube = cluster.get();
    plan.inventory_namespace =
        !args.inventory_namespace.empty()
            ? args.inventory_namespace
            : reconcile::DefaultInventoryNamespace(reconcile::KubernetesObjects(repo, args.rabbit.enabled()),
                                                   options.default_namespace);
  }
  std::unique_ptr<rabbitmq::ManagementClient> broker;
  if (args.rabbit.enabled()) {
    auto client = ConnectRabbit(args.rabbit);
    if (!client.ok()) return fail(client.status());
    broker = std::move(client).value();
    targets.rabbit = broker.get();
    if (Status s = RolloutNodes(args.rabbit, plan.rollout); !s.ok()) {
      err << "warren diff: " << s.message() << "\n";
      return kExitError;
    }
  }
  reconcile::Report report = reconcile::ReconcileOnce(repo, targets, plan, StopToken());
  for (const std::string& line : report.notes) err << "warren diff: note: " << line << "\n";
  // A read that failed (the cluster, the inventory, the broker) is no finding: the diff is unknown.
  for (const auto& r : report.applied.results)
    if (r.outcome == diff::Outcome::kFailed) return fail(Status(StatusCode::kUnavailable, r.message));
  if (!report.error.ok()) return fail(report.error);

  if (args.output == "json") {
    Json j = diff::ToJson(report.plan);
    if (!commit.empty()) j["source"] = {{"repo", args.source.repo}, {"ref", args.source.ref}, {"commit", commit}};
    if (!report.rollout_plan.empty()) j["rollouts"] = report.rollout_plan;
    out << j.dump(2) << "\n";
    KeepUntilExit(std::move(j));
  } else {
    if (!commit.empty()) out << "commit " << commit << "\n";
    out << diff::RenderText(report.plan, args.color);
    for (const std::string& line : report.rollout_plan) out << "rollout: " << line << "\n";
  }
  out.flush();
  KeepUntilExit(std::move(captured));
  KeepUntilExit(std::move(desired));
  const bool drift = report.plan.HasDrift();
  KeepUntilExit(std::move(report));
  return drift ? kExitFindings : kExitClean;
}

}  // namespace warren::cli
