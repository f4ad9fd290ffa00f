// What the emulator knows of the Kubernetes schema, written from the API types' list markers
// (listType=map / listMapKey, structType=atomic) rather than shared with warren's diff, so that the
// emulator is an independent check of it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace emulator {

using Json = nlohmann::json;

struct ListSchema {
  std::vector<std::string> keys;  // empty: atomic list
};

// The list under JSON key `field` (its items look like `sample`), in the object of `kind`.
ListSchema ListFor(const std::string& kind, const std::string& field, const Json& sample);

// Fields that are replaced whole by apply and owned as one leaf (`f:selector: {}`).
// `path` is the dotted path from the object root, e.g. "spec.selector".
bool IsAtomic(const std::string& kind, const std::string& path);

// A key field's value in an item, with the server's default when absent (ports: protocol TCP), so
// an applied `{containerPort: 5672}` matches the live `{containerPort: 5672, protocol: TCP}`.
Json KeyValue(const Json& item, const std::string& key);

}  // namespace emulator
