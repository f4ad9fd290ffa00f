#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "agent/cli/commands.h"
#include "agent/cli/desired_source.h"
#include "agent/cli/kube_connect.h"
#include "agent/cli/rabbit_connect.h"
#include "agent/rabbitmq/live_topology.h"
#include "agent/rabbitmq/topology_apply.h"
#include "agent/sync/kube_sync.h"
#include "diff/model/loader.h"
#include "diff/rabbit/desired_topology.h"
#include "diff/rabbit/topology_diff.h"

namespace warren::cli {
namespace {

// The broker answers once its pods are up, and is whole once `expected` nodes run in its cluster.
Status WaitForBroker(rabbitmq::ManagementClient& client, int expected, int timeout_seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  std::string last;
  while (true) {
    auto r = client.Get("/api/nodes");
    if (!r.ok() && r.status().code() == StatusCode::kUnauthenticated) return r.status();
    if (r.ok()) {
      int running = 0;
      for (const Json& n : r.value()) running += n.is_object() && n.value("running", false) == true;
      if (running >= expected) return Status::Ok();
      last = std::to_string(running) + "/" + std::to_string(expected) + " RabbitMQ nodes running";
    } else {
      last = r.status().message();
    }
    if (std::chrono::steady_clock::now() > deadline)
      return Status::Unavailable("RabbitMQ not ready within " + std::to_string(timeout_seconds) + " s: " + last);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

int RunSync(const SyncArgs& args, std::ostream& out, std::ostream& err) {
  bool kube = ClusterNamed(args.kube);
  if (!kube && !args.rabbit.enabled()) {
    err << "warren sync: no target: give --kubeconfig/--context/--in-cluster (or set KUBECONFIG) and/or --rabbitmq-url\n";
    return kExitError;
  }
  std::string ns = kube ? DefaultNamespace(args.kube, args.namespace_given, args.default_namespace) : args.default_namespace;
  auto loaded = LoadDesired(args.paths, args.source, ns, err);
  if (!loaded.ok()) {
    err << "warren sync: " << loaded.status().message() << "\n";
    return kExitError;
  }
  const LoadedManifests& repo = loaded.value().manifests;
  diff::ApplyReport report;
  report.dry_run = args.dry_run;

  size_t kube_objects_skipped = 0;
  std::vector<Object> kube_objects;
  for (const Object& o : repo.objects)
    if (!args.rabbit.enabled() || !rabbit::IsTopologyObject(o)) kube_objects.push_back(o);
  if (kube) {
    auto client = ConnectKube(args.kube, args.namespace_given ? args.default_namespace : "");
    if (!client.ok()) {
      err << "warren sync: " << client.status().message() << "\n";
      return kExitError;
    }
    sync::KubeSyncOptions o;
    o.dry_run = args.dry_run;
    o.prune = args.prune;
    o.force_conflicts = args.force_conflicts;
    o.continue_on_error = args.continue_on_error;
    o.timeout_seconds = args.timeout_seconds;
    o.inventory_namespace = ns;
    o.progress = isatty(STDERR_FILENO) ? &err : nullptr;
    diff::ApplyReport k = sync::SyncKubernetes(*client.value(), kube_objects, o);
    report.unchanged += k.unchanged;
    for (auto& r : k.results) report.results.push_back(std::move(r));
  } else {
    kube_objects_skipped = kube_objects.size();
  }

  if (args.rabbit.enabled() && (report.Converged() || args.continue_on_error)) {
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
    Status up = kube ? WaitForBroker(*client.value(), std::max(1, RabbitReplicas(repo.objects)), args.timeout_seconds) : Status::Ok();
    auto live = up.ok() ? rabbitmq::ReadLiveTopology(*client.value(), args.rabbit.inventory) : Result<rabbitmq::LiveTopology>(up);
    if (!live.ok()) {
      err << "warren sync: " << live.status().message() << "\n";
      return kExitError;
    }
    diff::DiffReport plan = rabbit::DiffTopology(desired.value(), live.value().state, live.value().inventory);
    rabbitmq::TopologyApplyOptions apply;
    apply.dry_run = args.dry_run;
    apply.prune = args.prune;
    apply.recreate_empty_queues = args.recreate_empty_queues;
    diff::ApplyReport r = rabbitmq::ApplyTopology(*client.value(), desired.value(), live.value(), plan, apply);
    report.unchanged += r.unchanged;
    for (auto& x : r.results) report.results.push_back(std::move(x));
  } else if (args.rabbit.enabled()) {
    err << "warren sync: RabbitMQ not synced: the Kubernetes stage did not converge\n";
  }

  const std::string& commit = loaded.value().commit;
  if (args.output == "json") {
    Json j = diff::ApplyToJson(report);
    if (kube_objects_skipped) j["kubernetesObjectsNotSynced"] = kube_objects_skipped;
    if (!commit.empty()) j["source"] = {{"repo", args.source.repo}, {"ref", args.source.ref}, {"commit", commit}};
    out << j.dump(2) << "\n";
  } else {
    if (!commit.empty()) out << "commit " << commit << "\n";
    out << diff::RenderApplyText(report);
    if (kube_objects_skipped) out << "note: " << kube_objects_skipped << " Kubernetes object(s) not synced: no Kubernetes target\n";
  }
  return report.Converged() ? kExitClean : kExitFindings;
}

}  // namespace warren::cli
