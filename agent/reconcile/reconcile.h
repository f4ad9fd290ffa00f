// One reconcile: the desired state of one source made live, in order — Kubernetes objects first
// (server-side apply, readiness, prune by inventory; see kube_stage.h), then, once the broker
// answers with all its nodes, the RabbitMQ topology (see rabbitmq/topology_apply.h). `warren sync`
// calls it once; `warren run` calls it whenever git, a watch or a timer says something changed.
//
// Where the live Kubernetes state comes from is the caller's choice (LiveKube): read from the
// API server for a one-shot command, or from the agent's watch cache. Every wait ends at the
// deadline or the stop token, and the clients passed in should stop on the same token.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "agent/kube/client.h"
#include "agent/rabbitmq/management_api.h"
#include "agent/rollout/driver.h"
#include "agent/util/cancel.h"
#include "diff/engine/apply_report.h"
#include "diff/engine/diff.h"
#include "diff/engine/report.h"
#include "diff/model/loader.h"

namespace warren::reconcile {

// The live counterparts of a set of desired Kubernetes objects (absent: not there).
class LiveKube {
 public:
  virtual ~LiveKube() = default;
  virtual Result<std::vector<Object>> Live(const std::vector<Object>& desired) = 0;
};

// Given up front (`warren diff --live-file`: a captured state): every object, counterpart or not, so
// the diff also sees warren-labelled objects the desired state no longer has.
class LiveFromList : public LiveKube {
 public:
  explicit LiveFromList(std::vector<Object> objects) : objects_(std::move(objects)) {}
  // The objects share their trees with this list (nothing is copied): it can outlive the plan.
  Result<std::vector<Object>> Live(const std::vector<Object>&) override { return objects_; }

 private:
  std::vector<Object> objects_;
};

// Reads them from the API server (one LIST per kind and namespace holding several, else a GET).
class LiveFromApi : public LiveKube {
 public:
  explicit LiveFromApi(kube::Api& client) : client_(client) {}
  Result<std::vector<Object>> Live(const std::vector<Object>& desired) override;

 private:
  kube::Api& client_;
};

// `objects` plus the Secrets its Users, Federations and Shovels name but it lacks, read from the
// cluster when there is one (a Secret the cluster lacks too is left for DesiredTopology to name).
// A User without importCredentialsSecret whose generated Secret does not exist yet gets one: a
// random password, written to the cluster when `write` (in memory only for a plan).
Result<std::vector<Object>> WithClusterSecrets(const std::vector<Object>& objects, kube::Api* kube, bool write);

struct Targets {
  kube::Api* kube = nullptr;                  // null: no Kubernetes target
  LiveKube* live = nullptr;                   // null: read from the API server (a plan may have this alone)
  rabbitmq::ManagementApi* rabbit = nullptr;  // null: no RabbitMQ target
};

struct Options {
  bool plan_only = false;  // diff only: no request that writes (not even a server dry run)
  // Leave one target out this time (the agent checks Kubernetes on watch events and RabbitMQ on
  // its health timer); the topology documents still belong to RabbitMQ when it is a target.
  bool skip_kube = false, skip_rabbit = false;
  bool dry_run = false;  // server dry runs, nothing persisted
  bool prune = false;
  bool force_conflicts = false;
  bool continue_on_error = false;
  int apply_concurrency = 8;  // see KubeStageOptions::concurrency
  bool recreate_empty_queues = false;
  std::chrono::seconds timeout{300};  // readiness, deletion and broker waits
  // Wait for readiness after applying (and for every broker node before the topology). A new
  // commit waits, so the topology follows running pods; a drift correction puts specs back and
  // goes on, so the next drift is not queued behind a rollout.
  bool wait_ready = true;
  bool partial = false;  // see KubeStageOptions::partial
  // A plan's desired objects as the API server would store them (its defaults filled in), from a
  // dry-run apply; and what the diff leaves out (warren diff's ignore rules).
  bool server_dry_run = false;
  diff::DiffOptions diff_options;
  // Compare the desired objects with warren's ownership labels on, as sync applies them (false:
  // as written, which is how `warren diff` shows a manifest against a captured state).
  bool ownership_labels = true;
  std::string inventory_namespace = "default";
  std::string inventory_name = "warren-inventory";
  std::string source = "warren";  // the warren.io/source label value
  std::string rabbit_inventory = "warren-inventory";
  const Clock* clock = nullptr;
  std::function<void(const std::string&)> progress;
  std::mutex* kube_write_lock = nullptr;  // see KubeStageOptions::write_lock
  std::function<void()> on_kube_applied;  // see KubeStageOptions::on_applied
  // Broker-aware rollouts (diff/rollout/rollout.h). A RabbitMQ StatefulSet's template change is
  // always applied held; `drive_rollouts` then rolls it pod by pod before the RabbitMQ stage
  // (warren sync; the agent drives rollouts on a lane of their own). With a way to reach the
  // nodes (rollout.connect_node), a plan also says which node would block now and why.
  bool drive_rollouts = false;
  rollout::DriverOptions rollout;
};

struct Report {
  diff::DiffReport plan;                    // what differed when the run started (Kubernetes, then RabbitMQ)
  diff::ApplyReport applied;                // what the run did (nothing when plan_only)
  size_t kube_objects_not_synced = 0;       // no Kubernetes target for them
  std::vector<std::string> notes;           // said to the user, not failures
  std::vector<rollout::Progress> rollouts;  // broker-aware StatefulSets rolled by this run
  std::vector<std::string> rollout_plan;    // a plan's gated rollouts, and what the next node says now
  // The run could not be made at all (bad topology documents, broker unreachable): exit 2.
  Status error;
  bool Converged() const { return error.ok() && applied.Converged(); }
};

// The objects a Kubernetes target is given: everything but the RabbitMQ topology documents when
// a RabbitMQ target takes those.
std::vector<Object> KubernetesObjects(const LoadedManifests& desired, bool rabbit_target);

Report ReconcileOnce(const LoadedManifests& desired, const Targets& targets, const Options& options,
                     const StopToken& stop);

// The node count the manifests ask for: replicas of the StatefulSet that runs a rabbitmq image
// (0 when there is none).
int RabbitReplicas(const std::vector<Object>& objects);

}  // namespace warren::reconcile
