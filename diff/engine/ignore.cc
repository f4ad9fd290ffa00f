#include "diff/engine/ignore.h"

#include <fnmatch.h>

#include <sstream>

namespace warren::diff {
namespace {

bool Glob(const std::string& pattern, const std::string& value) {
  return fnmatch(pattern.c_str(), value.c_str(), 0) == 0;
}

Status ReadStrings(const Json& rule, const char* field, const std::string& where, std::vector<std::string>* out) {
  auto it = rule.find(field);
  if (it == rule.end()) return Status::Ok();
  if (!it->is_array()) return Status::Invalid(where + ": " + field + " must be a list");
  for (const Json& v : *it) {
    if (!v.is_string()) return Status::Invalid(where + ": " + field + " must be a list of strings");
    out->push_back(v.get<std::string>());
  }
  return Status::Ok();
}

}  // namespace

Result<IgnoreConfig> ParseIgnoreConfig(const Json& doc, const std::string& file) {
  IgnoreConfig config;
  if (!doc.is_object() || !doc.contains("ignoreDifferences") || !doc["ignoreDifferences"].is_array())
    return Status::Invalid(file + ": expected a mapping with an ignoreDifferences list");
  const Json& rules = doc["ignoreDifferences"];
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string where = file + ": ignoreDifferences[" + std::to_string(i) + "]";
    const Json& r = rules[i];
    if (!r.is_object()) return Status::Invalid(where + ": must be a mapping");
    IgnoreRule rule;
    for (auto [field, target] :
         {std::pair{"group", &rule.group}, {"kind", &rule.kind}, {"namespace", &rule.ns}, {"name", &rule.name}}) {
      auto it = r.find(field);
      if (it == r.end()) continue;
      if (!it->is_string()) return Status::Invalid(where + ": " + field + " must be a string");
      *target = it->get<std::string>();
    }
    WARREN_RETURN_IF_ERROR(ReadStrings(r, "jsonPointers", where, &rule.json_pointers));
    WARREN_RETURN_IF_ERROR(ReadStrings(r, "managedFieldsManagers", where, &rule.managers));
    for (const std::string& p : rule.json_pointers)
      if (!p.empty() && p[0] != '/')
        return Status::Invalid(where + ": \"" + p + "\" is not a JSON Pointer (it must start with /)");
    config.rules.push_back(std::move(rule));
  }
  return config;
}

bool IgnoreSet::Covers(const std::string& path) const {
  for (const std::string& p : pointers)
    if (PointerUnder(path, p)) return true;
  return false;
}

IgnoreSet IgnoresFor(const ResourceKey& key, const Json& desired, const IgnoreConfig& config) {
  IgnoreSet set;
  for (const IgnoreRule& r : config.rules) {
    if (!Glob(r.group, key.group) || !Glob(r.kind, key.kind) || !Glob(r.ns, key.ns) || !Glob(r.name, key.name))
      continue;
    set.pointers.insert(set.pointers.end(), r.json_pointers.begin(), r.json_pointers.end());
    set.managers.insert(set.managers.end(), r.managers.begin(), r.managers.end());
  }
  const Json& annotations = Field(Field(desired, "metadata"), "annotations");
  std::istringstream in(StringField(annotations, kIgnoreAnnotation));
  std::string p;
  while (std::getline(in, p, ',')) {
    p.erase(0, p.find_first_not_of(" \t"));
    p.erase(p.find_last_not_of(" \t") + 1);
    if (!p.empty()) set.pointers.push_back(p);
  }
  return set;
}

}  // namespace warren::diff
