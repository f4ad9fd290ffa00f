// Kubernetes Events (core/v1) about what the agent did, so `kubectl describe` and `kubectl get
// events` show it: one summary Event per reconcile that changed something (on the source's
// inventory ConfigMap), and Events on an object itself for a drift correction (DriftCorrected),
// a failure (SyncFailed, Warning), an object that needs action (NeedsAction, Warning), a prune or
// a rollout step. Source component "warren". Messages are warren's own words (never object
// contents, so never a Secret value).
//
// Every Event passes an EventCorrelator first (spam filter, aggregation, deduplication, as
// Kubernetes' own recorder does): a flapping object updates one Event's count instead of
// creating thousands. Threads: Record() may be called from any lane.
#pragma once

#include <mutex>
#include <string>

#include "agent/kube/client.h"
#include "agent/run/event_correlator.h"
#include "agent/util/cancel.h"

namespace warren::run {

struct EventSpec {
  std::string api_version, kind, ns, name;  // the object the Event is about
  std::string type = "Normal";              // Normal | Warning
  std::string reason, message;
};

class EventRecorder {
 public:
  EventRecorder(std::string component, std::string instance, const Clock* clock = nullptr,
                EventCorrelatorOptions correlation = {})
      : component_(std::move(component)),
        instance_(std::move(instance)),
        clock_(clock ? *clock : Clock::Real()),
        correlator_(correlation) {}
  // Ok when sent, updated or dropped by the spam filter (*dropped then says so).
  Status Record(kube::Api& client, const EventSpec& e, bool* dropped = nullptr) const;

 private:
  Status Create(kube::Api& client, const kube::ResourceInfo& r, const EventSpec& e, const std::string& message,
                std::string* name) const;

  std::string component_, instance_;
  const Clock& clock_;
  mutable std::mutex mu_;
  mutable EventCorrelator correlator_;
};

}  // namespace warren::run
