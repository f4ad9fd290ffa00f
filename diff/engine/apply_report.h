// What a sync did, per object: the report `warren sync` prints, for Kubernetes objects and
// RabbitMQ objects alike.
//
// Every outcome falls in one of three classes, which decide the exit code, the commit status and
// whether the agent tries again:
//   - in sync: created, configured, recreated, pruned, retained, left in place (the user's choice:
//     removed from git while prune is off, or annotated to be left alone);
//   - needs action: warren will not do it without being told (a field another manager owns, an
//     immutable field without recreate, a queue that must not be deleted, a refused rollout
//     step). Retrying changes nothing: the agent waits for git, the live object or its settings;
//   - failed: a request failed (5xx, timeout, refused), or the object was skipped because an
//     earlier stage failed. Retried with backoff.
#pragma once

#include <string>
#include <vector>

#include "diff/engine/report.h"

namespace warren::diff {

// kRetained: left in place on purpose (deletionPolicy: retain) and forgotten; converged.
// kLeftInPlace: see above; kSkipped: not tried because an earlier stage failed.
enum class Outcome {
  kCreated,
  kConfigured,
  kRecreated,
  kPruned,
  kRetained,
  kLeftInPlace,
  kNeedsAction,
  kSkipped,
  kFailed
};
const char* OutcomeName(Outcome o);

enum class OutcomeClass { kInSync, kNeedsAction, kFailed };
OutcomeClass ClassOf(Outcome o);

// Why an object removed from git is still there: the one reason the orphan count looks for.
inline constexpr const char* kPruneOff = "removed from git; prune is off";

struct ApplyResult {
  ObjectDiff object;  // what the diff said (key, action, changes)
  Outcome outcome = Outcome::kSkipped;
  std::string message;  // why skipped or failed, or what was done beyond the obvious
  // Removed from git and left in place because prune is off (still warren's, in its inventory).
  bool Orphaned() const { return outcome == Outcome::kLeftInPlace && message == kPruneOff; }
};

struct ApplyReport {
  bool dry_run = false;
  size_t unchanged = 0;
  std::vector<ApplyResult> results;
  size_t Count(Outcome o) const;
  // The worst class of any result: failed over needs action over in sync.
  OutcomeClass Class() const;
  // In sync after the run (objects left in place included).
  bool Converged() const { return Class() == OutcomeClass::kInSync; }
  // The first result of the given class, or null.
  const ApplyResult* First(OutcomeClass c) const;
};

// "1 object removed from git left in place: Queue ha.payments (vhost orders) — prune is off"
// (at most three names, then "and N more"); empty when there is none.
std::string OrphansNote(const ApplyReport& report);

std::string RenderApplyText(const ApplyReport& report);
Json ApplyToJson(const ApplyReport& report);

}  // namespace warren::diff
