#include <unistd.h>

#include "agent/cli/commands.h"
#include "agent/cli/commit_status_args.h"
#include "agent/cli/desired_args.h"
#include "agent/cli/kube_connect.h"
#include "agent/cli/rabbit_connect.h"
#include "agent/forge/sync_status.h"
#include "agent/rabbitmq/cluster_probe.h"
#include "agent/reconcile/kube_stage.h"
#include "agent/reconcile/reconcile.h"

namespace warren::cli {
namespace {

// warren/sync from the report; warren/health and warren/mirrors from the broker, when there is one.
void ReportOutcome(forge::StatusReporter& statuses, const std::string& sha, const reconcile::Report& report,
                   rabbitmq::ManagementClient* rabbit_client, const LoadedManifests& manifests) {
  forge::StatusUpdate sync = forge::SyncStatusOf(report);
  statuses.Report(sha, "warren/sync", sync.state, sync.description);
  if (!rabbit_client) return;
  auto inputs = rabbitmq::ProbeCluster(*rabbit_client, reconcile::RabbitReplicas(manifests.objects));
  if (!inputs.ok()) {
    statuses.Report(sha, "warren/health", forge::State::kError, "RabbitMQ unreachable: " + inputs.status().message());
    return;
  }
  rabbit::ClusterHealth h = rabbit::AssessHealth(inputs.value());
  statuses.Report(sha, "warren/health", h.healthy() ? forge::State::kSuccess : forge::State::kFailure,
                  rabbit::HealthDescription(h));
  rabbit::MirrorsVerdict mirrors = rabbit::JudgeMirrors(h);
  statuses.Report(sha, "warren/mirrors", mirrors.ok ? forge::State::kSuccess : forge::State::kFailure,
                  mirrors.description);
}

}  // namespace

int RunSync(const SyncArgs& args, std::ostream& out, std::ostream& err) {
  bool kube = ClusterNamed(args.kube);
  if (!kube && !args.rabbit.enabled()) {
    err << "warren sync: no target: give --kubeconfig/--context/--in-cluster (or set KUBECONFIG) and/or "
           "--rabbitmq-url\n";
    return kExitError;
  }
  std::string ns =
      kube ? DefaultNamespace(args.kube, args.namespace_given, args.default_namespace) : args.default_namespace;
  auto loaded = LoadDesired(args.paths, args.source, ns, err, &args.kube);
  if (!loaded.ok()) {
    err << "warren sync: " << loaded.status().message() << "\n";
    return kExitError;
  }

  reconcile::Targets targets;
  std::unique_ptr<kube::KubeClient> kube_client;
  if (kube) {
    auto c = ConnectKube(args.kube, args.namespace_given ? args.default_namespace : "");
    if (!c.ok()) {
      err << "warren sync: " << c.status().message() << "\n";
      return kExitError;
    }
    kube_client = std::move(c).value();
    targets.kube = kube_client.get();
  }
  std::unique_ptr<rabbitmq::ManagementClient> rabbit_client;
  if (args.rabbit.enabled()) {
    auto c = ConnectRabbit(args.rabbit);
    if (!c.ok()) {
      err << "warren sync: " << c.status().message() << "\n";
      return kExitError;
    }
    rabbit_client = std::move(c).value();
    targets.rabbit = rabbit_client.get();
  }

  // Commit statuses: pending now, the outcome (and the broker's health) after the run.
  std::unique_ptr<forge::StatusReporter> statuses;
  const std::string& sha = loaded.value().commit;
  if (args.report_status) {
    if (!args.status.enabled() || sha.empty()) {
      err << "warren sync: --report-status needs --status-provider and a commit (--repo)\n";
      return kExitError;
    }
    forge::StatusOptions so = ToStatusOptions(args.status);
    so.log = [&err](const std::string& msg, const std::string& detail) {
      err << "warren sync: " << msg << ": " << detail << "\n";
    };
    auto reporter = forge::StatusReporter::Create(so);
    if (!reporter.ok()) {
      err << "warren sync: " << reporter.status().message() << "\n";
      return kExitError;
    }
    statuses = std::move(reporter).value();
    statuses->Report(sha, "warren/sync", forge::State::kPending, "applying " + sha.substr(0, 12));
  }

  reconcile::Options o;
  o.dry_run = args.dry_run;
  o.prune = args.prune;
  o.force_conflicts = args.force_conflicts;
  o.apply_concurrency = args.apply_concurrency;
  o.continue_on_error = args.continue_on_error;
  o.recreate_empty_queues = args.recreate_empty_queues;
  o.timeout = std::chrono::seconds(args.timeout_seconds);
  o.inventory_namespace = !args.inventory_namespace.empty()
                              ? args.inventory_namespace
                              : reconcile::DefaultInventoryNamespace(loaded.value().manifests.objects, ns);
  o.rabbit_inventory = args.rabbit.inventory;
  if (isatty(STDERR_FILENO)) o.progress = [&err](const std::string& line) { err << line << "\n"; };
  // Broker-aware rollouts are rolled here, pod by pod; each step is printed.
  o.drive_rollouts = true;
  o.rollout.progress = [&out](const std::string& line) { out << line << "\n" << std::flush; };
  if (args.rabbit.enabled()) {
    if (Status s = RolloutNodes(args.rabbit, o.rollout); !s.ok()) {
      err << "warren sync: " << s.message() << "\n";
      return kExitError;
    }
  }
  reconcile::Report report = reconcile::ReconcileOnce(loaded.value().manifests, targets, o, StopToken());

  if (statuses) ReportOutcome(*statuses, sha, report, rabbit_client.get(), loaded.value().manifests);
  for (const std::string& note : report.notes) err << "warren sync: " << note << "\n";
  for (const auto& r : report.applied.results)
    if (r.message.find("force-conflicts") != std::string::npos && !args.force_conflicts) {
      out << "hint: --force-conflicts takes over the fields other managers own\n";
      break;
    }
  if (!report.error.ok()) {
    err << "warren sync: " << report.error.message() << "\n";
    if (statuses) statuses->Flush(std::chrono::seconds(60));
    return kExitError;
  }
  const std::string& commit = loaded.value().commit;
  if (args.output == "json") {
    Json j = diff::ApplyToJson(report.applied);
    if (report.kube_objects_not_synced) j["kubernetesObjectsNotSynced"] = report.kube_objects_not_synced;
    if (!commit.empty()) j["source"] = {{"repo", args.source.repo}, {"ref", args.source.ref}, {"commit", commit}};
    out << j.dump(2) << "\n";
  } else {
    if (!commit.empty()) out << "commit " << commit << "\n";
    out << diff::RenderApplyText(report.applied);
    if (report.kube_objects_not_synced)
      out << "note: " << report.kube_objects_not_synced << " Kubernetes object(s) not synced: no Kubernetes target\n";
  }
  if (statuses && !statuses->Flush(std::chrono::seconds(60)))
    err << "warren sync: some commit statuses were not posted within 60 s\n";
  return report.Converged() ? kExitClean : kExitFindings;
}

}  // namespace warren::cli
