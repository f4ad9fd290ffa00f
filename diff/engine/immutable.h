// Immutable fields: changes the API server refuses on update, so the object must be recreated.
#pragma once

#include <string>
#include <vector>

#include "diff/engine/report.h"

namespace warren::diff {

// Empty when the changes can be applied in place; otherwise why the object must be recreated,
// naming the first immutable field that differs.
std::string RecreateReason(const ResourceKey& key, const Json& live, const std::vector<Change>& changes);

}  // namespace warren::diff
