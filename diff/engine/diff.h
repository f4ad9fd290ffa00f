// Diff: pairs desired and live objects and says, per object, what an apply would do.
//
//   DiffReport r = diff::Diff(desired, live, options);
//
// Objects pair by group, kind, namespace and name (an apps/v1beta1 manifest pairs with the live
// apps/v1 object). A live object with no desired counterpart is pruned only when it carries
// warren's label app.kubernetes.io/managed-by=warren. Secret values never leave this function:
// changes under a Secret's data are reported per key with no values.
#pragma once

#include <cstddef>
#include <functional>
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

// Diff with the caller's diff of one pair: `diff_one(i, live)` is desired[i]'s entry (live: its
// counterpart, or null). Pairs are diffed across the cores, so `diff_one` runs for several
// indexes at once, once per index; it may change desired[i] and nothing else it shares. `live`
// is good for the call only: a live object kept as text (Object::FromText) is read for it and
// let go after it (copy the Object to keep it).
using DiffOne = std::function<ObjectDiff(size_t index, const Object* live)>;
DiffReport DiffEach(const std::vector<Object>& desired, const std::vector<Object>& live, const DiffOne& diff_one);

// One pair; `live` may be null (create). `edit`, when given, is written into the copy of
// desired's document that is compared (a rollout's hold), as if desired had it.
using EditDoc = std::function<void(Json& doc)>;
ObjectDiff DiffObject(const Object& desired, const Object* live, const DiffOptions& options,
                      const EditDoc& edit = nullptr);

}  // namespace warren::diff
