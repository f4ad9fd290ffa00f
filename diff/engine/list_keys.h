// Which lists are maps keyed by some of their items' fields (Kubernetes merge keys), so that they
// are matched item by item whatever their order; every other list is atomic and ordered.
#pragma once

#include <string>
#include <vector>

#include "diff/model/object.h"

namespace warren::diff {

// The key fields for the list stored under `field` (its JSON key) whose first item is `sample`;
// nullptr for atomic lists. A key field may be nested ("metadata.name").
const std::vector<std::string>* ListKeys(const std::string& field, const Json& sample);

// The key of one item: {"name":"x"} -> `name="x"` (string values quoted, as Kubernetes prints).
std::string ItemKey(const Json& item, const std::vector<std::string>& keys);

}  // namespace warren::diff
