// The one prune rule (diff::JudgePrune) that diff's candidates and sync's prunes both follow.
#include <gtest/gtest.h>

#include "diff/engine/prune.h"

namespace warren::diff {
namespace {

Json Live(const Json& labels, const Json& annotations = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", "x"}, {"namespace", "dev"}, {"labels", labels}, {"annotations", annotations}}}};
}

TEST(JudgePrune, WarrensAndUnprotectedIsPrunedEverythingElseSaysWhy) {
  ResourceKey cm{"", "ConfigMap", "dev", "x"};
  Json warrens = Live({{"app.kubernetes.io/managed-by", "warren"}});
  EXPECT_EQ(JudgePrune(cm, &warrens).verdict, PruneVerdict::kPrune);
  EXPECT_EQ(JudgePrune(cm, nullptr).verdict, PruneVerdict::kGone);

  Json handed_over = Live({{"app.kubernetes.io/managed-by", "Helm"}});
  PruneDecision other = JudgePrune(cm, &handed_over);
  EXPECT_EQ(other.verdict, PruneVerdict::kNotWarrens);
  EXPECT_EQ(other.reason, "not pruned: it no longer carries app.kubernetes.io/managed-by=warren");

  Json kept = Live({{"app.kubernetes.io/managed-by", "warren"}}, {{"warren.io/prune", "disabled"}});
  EXPECT_EQ(JudgePrune(cm, &kept).verdict, PruneVerdict::kDisabled);
  EXPECT_EQ(JudgePrune(cm, &kept).reason, "not pruned: warren.io/prune: disabled");

  // Namespaces and claims are never deleted, whether or not they are still there.
  for (const char* kind : {"Namespace", "PersistentVolumeClaim"}) {
    PruneDecision never = JudgePrune({"", kind, "", "dev"}, &warrens);
    EXPECT_EQ(never.verdict, PruneVerdict::kNeverDeleted) << kind;
    EXPECT_EQ(never.reason, std::string("left in place: warren never deletes ") + kind + "s");
    EXPECT_EQ(JudgePrune({"", kind, "", "dev"}, nullptr).verdict, PruneVerdict::kNeverDeleted) << kind;
  }
  // A misshapen live object (labels not a map) is not warren's.
  Json odd = {{"metadata", {{"labels", "app.kubernetes.io/managed-by=warren"}}}};
  EXPECT_EQ(JudgePrune(cm, &odd).verdict, PruneVerdict::kNotWarrens);
}

}  // namespace
}  // namespace warren::diff
