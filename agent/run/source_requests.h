// What `warren suspend|resume|reconcile source NAME` asks of a WarrenSource, as `flux suspend`,
// `flux resume` and `flux reconcile` do of a Kustomization: spec.suspend set, or the annotation
// warren.io/reconcile-requested-at set to a new value and the agent's answer awaited
// (status.lastHandledReconcileAt equal to it, then Ready as the reconcile left it).
#pragma once

#include <chrono>
#include <string>

#include "agent/kube/api.h"
#include "agent/util/cancel.h"

namespace warren::run {

struct SourceRef {
  std::string ns, name;
  std::string ToString() const { return "WarrenSource " + ns + "/" + name; }
};

// Sets spec.suspend; the object after.
Result<Json> SetSuspended(kube::Api& kube, const SourceRef& ref, bool suspend);

struct ReconcileAnswer {
  std::string ready;  // "True", "False", "Unknown" or "" (no Ready condition)
  std::string reason, message;
  std::string revision;  // status.lastAppliedRevision
};

// Asks for a reconcile with `requested_at` and waits (polling every `poll`) until the agent has
// handled it, at most `timeout`. A suspended source is refused at once (it would never answer).
Result<ReconcileAnswer> RequestReconcile(kube::Api& kube, const SourceRef& ref, const std::string& requested_at,
                                         std::chrono::milliseconds timeout, const Clock& clock, const StopToken& stop,
                                         std::chrono::milliseconds poll = std::chrono::milliseconds(500));

}  // namespace warren::run
