// Diff: pairs desired and live objects and says, per object, what an apply would do.
//
//   DiffReport r = diff::Diff(desired, live, options);
//
// Objects pair by group, kind, namespace and name (an apps/v1beta1 manifest pairs with the live
// apps/v1 object). A live object with no desired counterpart is pruned only when it carries
// warren's label app.kubernetes.io/managed-by=warren. Secret values never leave this function:
// changes under a Secret's data are reported per key with no values.
#pragma once

#include <string>
#include <vector>

#include "diff/engine/ignore.h"
#include "diff/engine/report.h"

namespace warren::diff {

inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kSourceLabel = "warren.io/source";  // which source applied it

struct DiffOptions {
  // The field manager whose managedFields entry tells which fields warren applied. Default: warren.
  std::string field_manager = "warren";
  IgnoreConfig ignore;
};

DiffReport Diff(const std::vector<Object>& desired, const std::vector<Object>& live, const DiffOptions& options = {});

// One pair; `live` may be null (create).
ObjectDiff DiffObject(const Object& desired, const Object* live, const DiffOptions& options);

}  // namespace warren::diff
