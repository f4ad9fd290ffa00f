// Ignore rules: differences at JSON Pointers that are not drift for a given object.
//
// Three sources: the desired object's annotation `warren.io/ignore-differences` (comma-separated
// JSON Pointers), rules from a config file matched by group/kind/namespace/name globs, and fields
// that listed managers own in the live object's managedFields (an autoscaler owning
// /spec/replicas). A change is ignored when its path is at or below an ignored pointer.
#pragma once

#include <string>
#include <vector>

#include "diff/model/object.h"
#include "diff/model/status.h"

namespace warren::diff {

inline constexpr const char* kIgnoreAnnotation = "warren.io/ignore-differences";

struct IgnoreRule {
  std::string group = "*", kind = "*", ns = "*", name = "*";  // globs (* and ?)
  std::vector<std::string> json_pointers;
  std::vector<std::string> managers;
};

struct IgnoreConfig {
  std::vector<IgnoreRule> rules;
};

// Reads {"ignoreDifferences": [{group, kind, namespace, name, jsonPointers, managedFieldsManagers}]}.
// `file` names the source in errors.
Result<IgnoreConfig> ParseIgnoreConfig(const Json& doc, const std::string& file);

// The ignored pointers and managers that apply to the object with `key` and `desired` document.
struct IgnoreSet {
  std::vector<std::string> pointers;
  std::vector<std::string> managers;
  bool Covers(const std::string& path) const;
};
IgnoreSet IgnoresFor(const ResourceKey& key, const Json& desired, const IgnoreConfig& config);

}  // namespace warren::diff
