// One source kept live, in three lanes on threads of their own, so that nothing slow in one holds
// up another (a broker that hangs, a rollout that waits, a forge that is down):
//   - the sync lane (the thread that calls Run): git polls on the source's interval or a webhook's
//     Trigger(); a new commit applied in full (apply, readiness, prune, then the RabbitMQ
//     topology once every broker node runs); the broker's topology checked for drift on the
//     health interval and corrected;
//   - the Kubernetes lane: a watch event, a (re)list or the source's interval starts a drift check
//     from the watch cache (no API request), and drifted objects are put back at once — never
//     waiting for readiness, the broker, git or the forge. An object the API server refuses is
//     reported and retried on its own backoff (1 s doubling, capped) while every other object
//     keeps being corrected;
//   - the health lane (with a RabbitMQ target): health and mirror status into the metrics and
//     commit statuses, each request with a deadline shorter than the interval, so a hung node is
//     reported unreachable within two intervals instead of leaving the last verdict standing;
//   - the rollout lane (with both targets): a RabbitMQ StatefulSet's new template is applied
//     held by the sync lane, and rolled here pod by pod as each node's broker allows
//     (rollout_lane.cc), reported as the warren/rollout commit status.
// Failures back off exponentially (1 s doubling, capped): the sync lane as a whole (git errors
// and failed reconciles alike), the Kubernetes lane per object. Success resets them.
//
// Kubernetes writes: the lanes take turns (one mutex, held by the sync lane's applies and prune
// but not while it waits for readiness). The Kubernetes lane corrects toward the commit the sync
// lane last started to apply, so it never undoes a new commit nor revives an old one.
//
// Threads: Run() is called once per leadership term; it starts the other lanes and joins them
// before it returns. Trigger() may be called from any thread (the webhook listener). spec()
// does not change. Ownership: SourceContext's pointers are borrowed; the agent keeps them alive
// longer than the loop.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/forge/commit_status.h"
#include "agent/kube/client.h"
#include "agent/rabbitmq/connect.h"
#include "agent/reconcile/reconcile.h"
#include "agent/rollout/driver.h"
#include "agent/run/events.h"
#include "agent/run/log.h"
#include "agent/run/metrics.h"
#include "agent/run/options.h"
#include "agent/run/state_log.h"
#include "agent/source/desired.h"
#include "diff/rabbit/cluster_health.h"

namespace warren::run {

class WatchCache;

// Who changed the fields a drift correction put back, from the diff's attribution, for logs and
// Events: ".spec.replicas set by kubectl (Update /scale, 2026-12-02T14:02:11Z)"; "changed outside
// warren" for a RabbitMQ object (the broker keeps no author); "" when no other manager owns them.
std::string DriftAuthors(const diff::ObjectDiff& d);
// The label of warren_drift_corrections_total: the most recent writer, or "unknown".
std::string DriftManager(const diff::ObjectDiff& d);

struct SourceContext {
  kube::Api* kube = nullptr;  // null: no Kubernetes target
  Metrics* metrics = nullptr;
  const Logger* log = nullptr;
  const EventRecorder* events = nullptr;
  const AgentOptions* agent = nullptr;
  const Clock* clock = nullptr;
  std::function<void()> on_first_reconcile;  // readiness
  forge::StatusSink* statuses = nullptr;     // commit statuses, when configured
  // The same reports for the source's own status (a WarrenSource's), dry run or not.
  forge::StatusSink* source_status = nullptr;
  // Where the desired state and the broker come from (unset: git or files, and the management
  // API over HTTP); tests put fakes here.
  std::function<Result<source::Desired>(const source::DesiredSource&)> load;
  std::function<Result<std::unique_ptr<rabbitmq::ManagementApi>>(const rabbitmq::ConnectOptions&)> connect_rabbit;
};

class SourceLoop {
 public:
  SourceLoop(SourceSpec spec, SourceContext ctx);
  // Runs until `term` stops (shutdown, or leadership lost).
  void Run(const StopSource& term);
  // Fetch and check now (a webhook); coalesced with any trigger not yet served. `full`: apply the
  // commit in full even if it has not changed (a reconcile someone asked for).
  void Trigger(const std::string& why, bool full = false);

  const SourceSpec& spec() const { return spec_; }

 private:
  using DesiredPtr = std::shared_ptr<const source::Desired>;
  // An object a drift correction could not put back: one the API server refused is left alone
  // until `retry_at`; one that needs action (a conflict, say) until its diff differs from
  // `needs_action` (git, the object or its field owners changed).
  struct Refusal {
    std::chrono::milliseconds backoff{0};
    Clock::TimePoint retry_at{};
    std::string needs_action;  // diff::Fingerprint of the diff that needed action
  };
  // What RecordResults saw in one run's results.
  struct Outcomes {
    size_t corrected = 0;
    std::string first_failure, first_needs_action;
  };

  // The sync lane (source_loop.cc).
  void SyncLane(const StopToken& stop);
  std::string WaitForFetch(Clock::TimePoint until, const StopToken& stop);  // the trigger's reason, or ""
  Status Poll(const StopToken& stop);
  // After a decryption failure: has the key Secret changed since (a GET of one Secret)?
  bool KeySecretChanged();
  Result<std::unique_ptr<rabbitmq::ManagementApi>> ConnectRabbit(std::chrono::milliseconds timeout,
                                                                 const StopToken& stop) const;
  // A plan-only pass over the broker's topology; true when something drifted (named in `what`).
  bool RabbitDrifted(const StopToken& stop, std::string* what);
  // `full`: a new commit, every target with readiness waits; else a drift correction of the broker.
  void Reconcile(const std::string& why, bool full, const StopToken& stop);
  void Account(const reconcile::Report& report, const std::string& why, double seconds);
  void Fail();
  // The next wait of a backoff after `current`: 1 s, then doubling, at most max_backoff.
  std::chrono::milliseconds NextBackoff(std::chrono::milliseconds current) const;
  rabbitmq::ManagementApi* SyncRabbit(const StopToken& stop, Status* error);

  // The Kubernetes lane (kube_lane.cc).
  void KubeLane(const StopToken& stop);
  std::string WaitForKubeWork(Clock::TimePoint until, const StopToken& stop);
  void CorrectKube(const std::string& why, const StopToken& stop, DesiredPtr* corrected_for);
  void AccountCorrection(const reconcile::Report& report, const std::vector<Object>& attempted, const std::string& why,
                         double seconds);
  void KubeFail();

  // The rollout lane (rollout_lane.cc): broker-aware rollouts of the applied commit.
  void RolloutLane(const StopToken& stop);
  // Metrics, the warren/rollout status of `commit`, log lines and Events for one step's progress;
  // `last_summary` is what was said before for this StatefulSet.
  void AccountRollout(const Object& sts, const std::string& commit, const rollout::Progress& p,
                      std::string& last_summary);

  // The health lane (health_lane.cc).
  void HealthLane(const StopToken& stop);
  void ProbeHealth(std::unique_ptr<rabbitmq::ManagementApi>& client, const StopToken& stop);
  void LogHealth(const rabbit::ClusterHealth& h);
  void LogHealthUnknown(const Status& error);

  // Shared by the lanes.
  // A dry run of the agent, or a suspended source: drift is found and reported, nothing written.
  bool WritesNothing() const { return ctx_.agent->dry_run || spec_.suspend; }
  reconcile::Options ReconcileOptions() const;
  rabbitmq::ConnectOptions RabbitConnect(std::chrono::milliseconds timeout, const StopToken& stop) const;
  // The objects `plan` says differ, counted per kind into warren_drifted_objects; the counts of
  // the kinds in `scope` from earlier checks go first (a lane leaves the other lane's counts).
  enum class DriftScope { kAll, kKube, kRabbit };
  std::vector<std::string> RecordDrift(const diff::DiffReport& plan, DriftScope scope);
  // warren_orphaned_objects from a run's results, for the kinds in `scope`, the same way.
  void RecordOrphans(const diff::ApplyReport& applied, DriftScope scope);
  using PerKind = std::map<std::string, std::pair<int, bool>>;  // kind → (objects, in the broker)
  // Sets a per-kind gauge; `kinds` remembers which kinds it set (kind → in the broker).
  void SetPerKind(const std::string& gauge, const PerKind& per_kind, std::map<std::string, bool>& kinds,
                  DriftScope scope);
  // One summary Event on the inventory ConfigMap for a new commit that changed something.
  void SummaryEvent(const reconcile::Report& report, const std::string& why, kube::Api& client);
  void SendEvent(kube::Api& client, const EventSpec& e);
  // Metrics and Events for what a run did; `drift`: a correction rather than a new commit.
  Outcomes RecordResults(const reconcile::Report& report, const std::string& why, bool drift);
  void ReportStatus(const std::string& commit, const std::string& context, forge::State state,
                    const std::string& description);
  DesiredPtr Published() const;
  std::string AppliedCommit() const;

  SourceSpec spec_;
  SourceContext ctx_;
  const Clock& clock_;
  std::string objects_ns_, inventory_ns_;
  reconcile::LiveKube* live_ = nullptr;  // the watch cache, while running
  WatchCache* cache_ = nullptr;

  // Between the lanes, under mu_.
  mutable std::mutex mu_;
  std::condition_variable sync_cv_, kube_cv_, rollout_cv_;
  std::string fetch_why_;                     // a Trigger() not yet served
  bool full_requested_ = false;               // ... and it asked for a full apply
  std::string kube_why_;                      // a watch event not yet checked
  DesiredPtr published_;                      // what the Kubernetes lane corrects toward
  std::string applied_commit_;                // the commit last applied in full (health statuses name it)
  mutable std::mutex kube_writes_;            // one Kubernetes writer at a time (see above)
  std::mutex drift_mu_;                       // warren_drifted_objects: cleared and set as one
  std::map<std::string, bool> drift_kinds_;   // kinds with a drift count → in the broker
  std::map<std::string, bool> orphan_kinds_;  // the same for warren_orphaned_objects

  // The sync lane's own.
  DesiredPtr desired_;
  bool needs_full_ = false;
  bool ready_ = false;
  Clock::TimePoint retry_at_{};
  std::chrono::milliseconds backoff_{0}, git_backoff_{0};
  // A source that failed to decrypt with a key Secret configured: the Secret's resourceVersion
  // then, looked at every kKeyCheckInterval until it changes.
  static constexpr std::chrono::seconds kKeyCheckInterval{5};
  bool key_wait_ = false;
  std::string key_version_;
  Clock::TimePoint next_key_check_{};
  std::unique_ptr<rabbitmq::ManagementApi> rabbit_;  // for the term: it remembers which node answers
  // Broker objects that needed action, by the fingerprint of their diff then: the drift check
  // leaves them until the diff changes (or git does).
  std::map<ResourceKey, std::string> rabbit_blocked_;

  StateLog sync_log_;        // an unusable source, a failing reconcile: said when they change
  std::mutex watch_log_mu_;  // the watch streams' threads share it
  StateLog watch_log_;

  // The health lane's own: the broker's problems (and their causes) last said.
  StateLog health_log_;
  std::vector<std::string> health_causes_, health_problems_;

  // The Kubernetes lane's own.
  Clock::TimePoint kube_retry_at_{};
  std::chrono::milliseconds kube_backoff_{0};
  std::map<ResourceKey, Refusal> refused_;
};

}  // namespace warren::run
