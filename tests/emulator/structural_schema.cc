#include "tests/emulator/structural_schema.h"

#include <cmath>
#include <regex>

namespace emulator {
namespace {

bool PreservesUnknown(const Json& schema) { return schema.value("x-kubernetes-preserve-unknown-fields", false); }

std::string Join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

void Prune(const Json& schema, Json& value, const std::string& path, std::vector<std::string>* removed) {
  if (!schema.is_object()) return;
  if (value.is_array()) {
    if (!schema.contains("items")) return;
    for (size_t i = 0; i < value.size(); ++i)
      Prune(schema["items"], value[i], path + "[" + std::to_string(i) + "]", removed);
    return;
  }
  if (!value.is_object()) return;
  const Json props = schema.value("properties", Json::object());
  const Json* additional = schema.contains("additionalProperties") && schema["additionalProperties"].is_object()
                               ? &schema["additionalProperties"]
                               : nullptr;
  for (auto it = value.begin(); it != value.end();) {
    const std::string key = it.key();
    // apiVersion, kind and metadata belong to the server at the root, whatever the schema says.
    if (path.empty() && (key == "apiVersion" || key == "kind" || key == "metadata")) {
      ++it;
      continue;
    }
    if (props.contains(key)) {
      Prune(props[key], *it, Join(path, key), removed);
    } else if (additional) {
      Prune(*additional, *it, Join(path, key), removed);
    } else if (!PreservesUnknown(schema)) {
      removed->push_back(Join(path, key));
      it = value.erase(it);
      continue;
    }
    ++it;
  }
}

// The JSON type as the server names it in "must be of type" messages.
std::string TypeOf(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool HasType(const Json& v, const std::string& type) {
  if (type.empty()) return true;
  if (type == "number") return v.is_number();
  if (type == "integer")
    return v.is_number_integer() || (v.is_number_float() && v.get<double>() == std::floor(v.get<double>()));
  return TypeOf(v) == type;
}

// Go's %v of a value in "Invalid value: ..." (strings quoted).
std::string Shown(const Json& v) { return v.is_string() ? v.dump() : v.is_null() ? "null" : v.dump(); }

void Check(const Json& schema, const Json& v, const std::string& path, std::vector<FieldError>* out) {
  if (!schema.is_object()) return;
  const std::string at = path.empty() ? "<root>" : path;
  if (v.is_null() && schema.value("nullable", false)) return;
  if (schema.value("x-kubernetes-int-or-string", false)) {
    if (!v.is_number_integer() && !v.is_string())
      out->push_back({"FieldValueInvalid", path,
                      "Invalid value: " + Json(TypeOf(v)).dump() + ": " + at +
                          " in body must be of type integer or string: " + Json(TypeOf(v)).dump()});
    return;
  }
  const std::string type = schema.value("type", "");
  if (!HasType(v, type)) {
    out->push_back({"FieldValueTypeInvalid", path,
                    "Invalid value: " + Json(TypeOf(v)).dump() + ": " + at + " in body must be of type " + type + ": " +
                        Json(TypeOf(v)).dump()});
    return;
  }
  if (schema.contains("enum") && schema["enum"].is_array()) {
    bool found = false;
    std::string allowed;
    for (const Json& e : schema["enum"]) {
      found = found || e == v;
      allowed += (allowed.empty() ? "" : ", ") + Shown(e);
    }
    if (!found)
      out->push_back(
          {"FieldValueNotSupported", path, "Unsupported value: " + Shown(v) + ": supported values: " + allowed});
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (schema.contains("pattern")) {
      const std::string pattern = schema["pattern"].get<std::string>();
      if (!std::regex_search(s, std::regex(pattern, std::regex::ECMAScript)))
        out->push_back({"FieldValueInvalid", path,
                        "Invalid value: " + Shown(v) + ": " + at + " in body should match '" + pattern + "'"});
    }
    if (schema.contains("minLength") && s.size() < schema["minLength"].get<size_t>())
      out->push_back({"FieldValueInvalid", path,
                      "Invalid value: " + Shown(v) + ": " + at + " in body should be at least " +
                          schema["minLength"].dump() + " chars long"});
    if (schema.contains("maxLength") && s.size() > schema["maxLength"].get<size_t>())
      out->push_back(
          {"FieldValueTooLong", path, "Too long: may not be more than " + schema["maxLength"].dump() + " bytes"});
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (schema.contains("minimum") && d < schema["minimum"].get<double>())
      out->push_back({"FieldValueInvalid", path,
                      "Invalid value: " + Shown(v) + ": " + at + " in body should be greater than or equal to " +
                          schema["minimum"].dump()});
    if (schema.contains("maximum") && d > schema["maximum"].get<double>())
      out->push_back({"FieldValueInvalid", path,
                      "Invalid value: " + Shown(v) + ": " + at + " in body should be less than or equal to " +
                          schema["maximum"].dump()});
  }
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<size_t>())
      out->push_back({"FieldValueInvalid", path,
                      "Invalid value: " + std::to_string(v.size()) + ": " + at + " in body should have at least " +
                          schema["minItems"].dump() + " items"});
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<size_t>())
      out->push_back(
          {"FieldValueTooMany", path,
           "Too many: " + std::to_string(v.size()) + ": must have at most " + schema["maxItems"].dump() + " items"});
    if (schema.contains("items"))
      for (size_t i = 0; i < v.size(); ++i) Check(schema["items"], v[i], path + "[" + std::to_string(i) + "]", out);
  }
  if (v.is_object()) {
    for (const Json& r : schema.value("required", Json::array()))
      if (r.is_string() && !v.contains(r.get<std::string>()))
        out->push_back({"FieldValueRequired", Join(path, r.get<std::string>()), "Required value"});
    const Json props = schema.value("properties", Json::object());
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (path.empty() && (it.key() == "metadata" || it.key() == "apiVersion" || it.key() == "kind")) continue;
      if (props.contains(it.key()))
        Check(props[it.key()], *it, Join(path, it.key()), out);
      else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object())
        Check(schema["additionalProperties"], *it, Join(path, it.key()), out);
    }
  }
}

}  // namespace

std::vector<std::string> PruneUnknownFields(const Json& schema, Json& object) {
  std::vector<std::string> removed;
  Prune(schema, object, "", &removed);
  return removed;
}

std::vector<FieldError> ValidateAgainstSchema(const Json& schema, const Json& object) {
  std::vector<FieldError> out;
  Check(schema, object, "", &out);
  return out;
}

}  // namespace emulator
