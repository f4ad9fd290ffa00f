// Reads the settings of one mapping (a --config source, a WarrenSource's spec) with errors that
// name where they are: "<where>.<key>: must be a string", where `where` says the file or object
// and the path to the mapping ("config.yaml: sources[0]", "WarrenSource dev/prod: spec").
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "diff/model/duration.h"
#include "diff/model/object.h"
#include "diff/model/status.h"

namespace warren::run {

class FieldReader {
 public:
  FieldReader(const Json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  bool is_object() const { return obj_.is_object(); }
  bool has(const char* key) const { return obj_.is_object() && obj_.contains(key); }
  const Json& obj() const { return obj_; }
  const std::string& where() const { return where_; }
  // The mapping under `key` (null when absent), read the same way.
  FieldReader Child(const char* key) const { return FieldReader(has(key) ? obj_[key] : None(), where_ + "." + key); }
  Status Bad(const std::string& key, const std::string& why) const {
    return Status::Invalid(where_ + "." + key + ": " + why);
  }

  Status Unknown(const std::set<std::string>& known) const {
    for (const auto& [k, v] : obj_.items())
      if (!known.count(k)) return Status::Invalid(where_ + ": unknown key \"" + k + "\"");
    return Status::Ok();
  }
  Status String(const char* key, std::string* out) const {
    if (!has(key)) return Status::Ok();
    if (!obj_[key].is_string()) return Bad(key, "must be a string");
    *out = obj_[key].get<std::string>();
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out) const {
    if (!has(key)) return Status::Ok();
    if (!obj_[key].is_boolean()) return Bad(key, "must be true or false");
    *out = obj_[key].get<bool>();
    return Status::Ok();
  }
  // A list of strings; one string alone is a list of one.
  Status Strings(const char* key, std::vector<std::string>* out) const {
    if (!has(key)) return Status::Ok();
    const Json& v = obj_[key];
    if (v.is_string()) {
      *out = {v.get<std::string>()};
      return Status::Ok();
    }
    if (!v.is_array()) return Bad(key, "must be a list of strings");
    out->clear();
    for (const Json& e : v) {
      if (!e.is_string()) return Bad(key, "must be a list of strings");
      out->push_back(e.get<std::string>());
    }
    return Status::Ok();
  }
  // A Go duration ("90s", "5m"); absent or empty leaves `out` as it is.
  Status Duration(const char* key, std::chrono::milliseconds* out) const {
    std::string text;
    WARREN_RETURN_IF_ERROR(String(key, &text));
    if (text.empty()) return Status::Ok();
    auto d = ParseDuration(text);
    if (!d.ok()) return d.status().WithContext(where_ + "." + key);
    *out = d.value();
    return Status::Ok();
  }

 private:
  static const Json& None() {
    static const Json kNone;
    return kNone;
  }
  const Json& obj_;
  std::string where_;
};

}  // namespace warren::run
