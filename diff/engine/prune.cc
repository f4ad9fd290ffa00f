#include "diff/engine/prune.h"

#include "diff/engine/apply_order.h"
#include "diff/engine/diff.h"

namespace warren::diff {

PruneDecision JudgePrune(const ResourceKey& key, const Json* live) {
  if (NeverDeleted(key.group, key.kind))
    return {PruneVerdict::kNeverDeleted, "left in place: warren never deletes " + key.kind + "s"};
  if (!live) return {PruneVerdict::kGone, ""};
  const Json& meta = Field(*live, "metadata");
  if (StringField(Field(meta, "labels"), kManagedByLabel) != "warren")
    return {PruneVerdict::kNotWarrens, "not pruned: it no longer carries " + std::string(kManagedByLabel) + "=warren"};
  if (StringField(Field(meta, "annotations"), "warren.io/prune") == "disabled")
    return {PruneVerdict::kDisabled, "not pruned: warren.io/prune: disabled"};
  return {PruneVerdict::kPrune, ""};
}

}  // namespace warren::diff
