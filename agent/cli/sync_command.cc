#include "agent/cli/commands.h"
#include "agent/cli/desired_source.h"
#include "agent/cli/rabbit_connect.h"
#include "agent/rabbitmq/live_topology.h"
#include "agent/rabbitmq/topology_apply.h"
#include "diff/model/loader.h"
#include "diff/rabbit/desired_topology.h"
#include "diff/rabbit/topology_diff.h"

namespace warren::cli {

int RunSync(const SyncArgs& args, std::ostream& out, std::ostream& err) {
  if (!args.rabbit.enabled()) {
    err << "warren sync: no target: give --rabbitmq-url (Kubernetes targets are not supported yet)\n";
    return kExitError;
  }
  auto loaded = LoadDesired(args.paths, args.source, args.default_namespace, err);
  if (!loaded.ok()) {
    err << "warren sync: " << loaded.status().message() << "\n";
    return kExitError;
  }
  const LoadedManifests& repo = loaded.value().manifests;
  auto desired = rabbit::DesiredTopology(repo.objects, repo.definitions);
  if (!desired.ok()) {
    err << "warren sync: " << desired.status().message() << "\n";
    return kExitError;
  }
  auto client = ConnectRabbit(args.rabbit);
  if (!client.ok()) {
    err << "warren sync: " << client.status().message() << "\n";
    return kExitError;
  }
  auto live = rabbitmq::ReadLiveTopology(*client.value(), args.rabbit.inventory);
  if (!live.ok()) {
    err << "warren sync: " << live.status().message() << "\n";
    return kExitError;
  }
  diff::DiffReport plan = rabbit::DiffTopology(desired.value(), live.value().state, live.value().inventory);
  rabbitmq::TopologyApplyOptions apply;
  apply.dry_run = args.dry_run;
  apply.prune = args.prune;
  apply.recreate_empty_queues = args.recreate_empty_queues;
  diff::ApplyReport report = rabbitmq::ApplyTopology(*client.value(), desired.value(), live.value(), plan, apply);

  size_t kube = 0;
  for (const Object& o : repo.objects) kube += !rabbit::IsTopologyObject(o);
  if (args.output == "json") {
    Json j = diff::ApplyToJson(report);
    j["kubernetesObjectsNotSynced"] = kube;
    if (!loaded.value().commit.empty()) j["source"] = {{"repo", args.source.repo}, {"ref", args.source.ref}, {"commit", loaded.value().commit}};
    out << j.dump(2) << "\n";
  } else {
    if (!loaded.value().commit.empty()) out << "commit " << loaded.value().commit << "\n";
    out << diff::RenderApplyText(report);
    if (kube > 0) out << "note: " << kube << " Kubernetes object(s) not synced: no Kubernetes target\n";
  }
  return report.Converged() ? kExitClean : kExitFindings;
}

}  // namespace warren::cli
