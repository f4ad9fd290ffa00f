// What becomes of an object that warren's inventory lists and the desired state no longer has:
// the one rule behind `warren diff`'s prune candidates and what sync and the agent prune.
#pragma once

#include <string>

#include "diff/model/object.h"

namespace warren::diff {

enum class PruneVerdict {
  kPrune,         // warren's, and nothing keeps it: deleted by a sync with prune on
  kGone,          // no longer there: forgotten
  kNeverDeleted,  // a kind warren never deletes (Namespaces, claims): left in place and forgotten
  kNotWarrens,    // its managed-by label was taken off: someone else's now, left alone
  kDisabled,      // annotated warren.io/prune: disabled: left in place and forgotten
};

struct PruneDecision {
  PruneVerdict verdict = PruneVerdict::kPrune;
  std::string reason;  // for everything but kPrune and kGone: why it stays
};

// `live` is the object as the cluster has it, null when it is gone.
PruneDecision JudgePrune(const ResourceKey& key, const Json* live);

}  // namespace warren::diff
