// Kubernetes Events (core/v1) on the objects warren corrects or fails to, so `kubectl describe`
// and `kubectl get events` show what the agent did: reason DriftCorrected, Applied, Pruned,
// Recreated (Normal) or SyncFailed (Warning), source component "warren". Messages are warren's
// own words (never object contents, so never a Secret value).
#pragma once

#include <string>

#include "agent/kube/client.h"
#include "agent/util/cancel.h"

namespace warren::run {

struct EventSpec {
  std::string api_version, kind, ns, name;  // the object the Event is about
  std::string type = "Normal";              // Normal | Warning
  std::string reason, message;
};

class EventRecorder {
 public:
  EventRecorder(std::string component, std::string instance, const Clock* clock = nullptr)
      : component_(std::move(component)), instance_(std::move(instance)), clock_(clock ? *clock : Clock::Real()) {}
  Status Record(kube::Api& client, const EventSpec& e) const;

 private:
  std::string component_, instance_;
  const Clock& clock_;
};

}  // namespace warren::run
