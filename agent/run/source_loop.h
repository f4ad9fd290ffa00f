// One source kept live: its own thread, timers and backoff, so a broken repository or broker
// never holds up another source. What wakes it:
//   - the poll timer (the source's interval): fetch the ref; a new commit is applied in full
//     (apply, readiness, prune); an unchanged one gets a drift check (the full resync);
//   - a watch event on one of its objects: a drift check of the Kubernetes objects, from the
//     watch cache (no API request), and a correction when anything drifted;
//   - the health timer: RabbitMQ health and mirror status into the metrics, and a drift check of
//     the broker's topology;
//   - Trigger() (a webhook): fetch now.
// Failures back off exponentially (1 s doubling, capped), per source; success resets it.
//
// Threads: Run() is called on the loop's own thread, once per leadership term, and everything
// but Trigger() happens there. Trigger() may be called from any thread (the webhook listener);
// it only sets what to do next under mu_ and wakes the loop. spec() does not change.
// Ownership: SourceContext's pointers are borrowed; the agent keeps them alive longer than the loop.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/forge/commit_status.h"
#include "agent/kube/client.h"
#include "agent/reconcile/reconcile.h"
#include "agent/run/events.h"
#include "agent/run/log.h"
#include "agent/run/metrics.h"
#include "agent/run/options.h"
#include "agent/source/desired.h"

namespace warren::run {

struct SourceContext {
  kube::KubeClient* kube = nullptr;  // null: no Kubernetes target
  Metrics* metrics = nullptr;
  const Logger* log = nullptr;
  const EventRecorder* events = nullptr;
  const AgentOptions* agent = nullptr;
  const Clock* clock = nullptr;
  std::function<void()> on_first_reconcile;   // readiness
  forge::StatusReporter* statuses = nullptr;  // commit statuses, when configured
};

class SourceLoop {
 public:
  SourceLoop(SourceSpec spec, SourceContext ctx);
  // Runs until `term` stops (shutdown, or leadership lost).
  void Run(const StopSource& term);
  // Fetch and check now (a webhook); coalesced with any trigger not yet served.
  void Trigger(const std::string& why);

  const SourceSpec& spec() const { return spec_; }

 private:
  enum class Check { kNone, kKube, kRabbit, kBoth };
  struct Wake {
    bool fetch = false;
    bool kube_event = false;
    std::string why;
  };

  Wake WaitForWork(Clock::TimePoint until, const StopToken& stop);
  void Poll(const StopToken& stop);
  void ProbeHealth(const StopToken& stop);
  // A plan-only pass; true when something drifted (and says what, in `what`).
  bool Drifted(Check check, const StopToken& stop, std::string* what);
  // The objects `plan` says differ, counted per kind into warren_drifted_objects (`replace`: the
  // source's old counts go first; a RabbitMQ-only check leaves the Kubernetes kinds' counts).
  std::vector<std::string> RecordDrift(const diff::DiffReport& plan, bool replace);
  void Reconcile(const std::string& why, bool full, const StopToken& stop);
  void Account(const reconcile::Report& report, const std::string& why, double seconds);
  reconcile::Options ReconcileOptions() const;
  Result<std::unique_ptr<rabbitmq::ManagementClient>> Rabbit(const StopToken& stop) const;
  void Fail();
  void ReportStatus(const std::string& context, forge::State state, const std::string& description);

  SourceSpec spec_;
  SourceContext ctx_;
  const Clock& clock_;
  std::string objects_ns_, inventory_ns_;
  reconcile::LiveKube* live_ = nullptr;  // the watch cache, while running

  std::mutex mu_;
  std::condition_variable cv_;
  Wake pending_;

  std::optional<source::Desired> desired_;
  std::string applied_commit_;
  bool needs_full_ = false;
  bool ready_ = false;
  Clock::TimePoint retry_at_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace warren::run
