// A WarrenSource's status as controllers write it (Flux's conventions): conditions Ready,
// Reconciling and Stalled with reasons and messages, observedGeneration, the revisions last
// attempted and applied, the broker's health and mirrors, and the rollout. Pure: computed from
// the reports a SourceLoop gives its commit statuses (context warren/sync, warren/health,
// warren/mirrors, warren/rollout; warren/source for a source that cannot be read at all).
//
// Ready from warren/sync:
//   pending                  (kept)                           Reconciling True
//   success                  True     ReconciliationSucceeded
//   error (request, git...)  False    ReconciliationFailed    retried with backoff
//   failure, objects failed  False    ApplyFailed             retried with backoff
//   failure, needs action    False    NeedsAction             Stalled True: not retried until
//                                                             git, the object or the settings change
#pragma once

#include <string>

#include "agent/forge/commit_status.h"
#include "diff/model/object.h"

namespace warren::run {

struct StatusReport {
  std::string sha, context;
  forge::State state = forge::State::kPending;
  std::string description;
};

// `status` after `report`; `generation`: the spec the loop runs; `now`: RFC 3339. A suspended
// source keeps its Ready condition (its loop writes nothing; what it finds is a dry run's).
Json NextSourceStatus(Json status, const StatusReport& report, long long generation, bool suspended,
                      const std::string& now);

// The status of a loop (re)started for `generation`: Reconciling, and Ready Unknown for a new
// generation (the same one again, after a restart, keeps its verdict); suspended: neither.
Json StartedSourceStatus(Json status, long long generation, bool suspended, const std::string& now);

// The status of a spec the agent cannot run (a bad duration, a missing Secret): Ready False and
// Stalled True with reason `reason`, until the object changes.
Json InvalidSourceStatus(Json status, long long generation, const std::string& reason, const std::string& message,
                         const std::string& now);

// Sets condition `type` in `status.conditions`, keeping lastTransitionTime when its status is
// unchanged; an empty `value` removes it.
void SetCondition(Json& status, const std::string& type, const std::string& value, const std::string& reason,
                  const std::string& message, long long generation, const std::string& now);

}  // namespace warren::run
