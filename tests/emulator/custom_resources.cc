#include "tests/emulator/custom_resources.h"

#include <algorithm>
#include <regex>

#include "tests/emulator/json_path.h"

namespace emulator {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Str(const Json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

const Json& Obj(const Json& o, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = o.find(key);
  return it != o.end() && it->is_object() ? *it : kEmpty;
}

Json Versions(const Json& crd) {
  const Json v = Obj(crd, "spec").value("versions", Json::array());
  return v.is_array() ? v : Json::array();
}

// The schema's own errors: a structural schema says the type of every level it describes.
void CheckSchema(const Json& schema, const std::string& path, std::vector<FieldError>* out) {
  if (!schema.is_object()) return;
  bool open =
      schema.value("x-kubernetes-preserve-unknown-fields", false) || schema.value("x-kubernetes-int-or-string", false);
  if (!schema.contains("type") && !open)
    out->push_back(
        {"FieldValueRequired", path + ".type", "Required value: must not be empty for specified object fields"});
  if (schema.contains("pattern")) {
    try {
      std::regex re(schema["pattern"].get<std::string>(), std::regex::ECMAScript);
    } catch (const std::exception&) {
      out->push_back({"FieldValueInvalid", path + ".pattern",
                      "Invalid value: " + schema["pattern"].dump() + ": must be a valid regular expression"});
    }
  }
  for (auto it = Obj(schema, "properties").begin(); it != Obj(schema, "properties").end(); ++it)
    CheckSchema(*it, path + ".properties[" + it.key() + "]", out);
  if (schema.contains("items")) CheckSchema(schema["items"], path + ".items", out);
  if (schema.contains("additionalProperties"))
    CheckSchema(schema["additionalProperties"], path + ".additionalProperties", out);
}

}  // namespace

std::vector<FieldError> ValidateCustomResourceDefinition(const Json& crd) {
  std::vector<FieldError> out;
  const Json& spec = Obj(crd, "spec");
  const Json& names = Obj(spec, "names");
  const std::string group = Str(spec, "group"), plural = Str(names, "plural"), kind = Str(names, "kind");
  const std::string name = Str(Obj(crd, "metadata"), "name");
  if (group.empty())
    out.push_back({"FieldValueRequired", "spec.group", "Required value"});
  else if (group.find('.') == std::string::npos)
    out.push_back({"FieldValueInvalid", "spec.group",
                   "Invalid value: \"" + group + "\": should be a domain with at least one dot"});
  if (plural.empty()) out.push_back({"FieldValueRequired", "spec.names.plural", "Required value"});
  if (kind.empty()) out.push_back({"FieldValueRequired", "spec.names.kind", "Required value"});
  if (!plural.empty() && !group.empty() && name != plural + "." + group)
    out.push_back({"FieldValueInvalid", "metadata.name",
                   "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group"});
  const std::string scope = Str(spec, "scope");
  if (scope != "Namespaced" && scope != "Cluster")
    out.push_back({"FieldValueNotSupported", "spec.scope",
                   "Unsupported value: \"" + scope + "\": supported values: \"Cluster\", \"Namespaced\""});
  const Json versions = Versions(crd);
  if (versions.empty())
    out.push_back({"FieldValueRequired", "spec.versions",
                   "Required value: must have exactly one version marked as storage version"});
  int storage = 0;
  for (size_t i = 0; i < versions.size(); ++i) {
    const Json& v = versions[i];
    const std::string at = "spec.versions[" + std::to_string(i) + "]";
    storage += v.value("storage", false) ? 1 : 0;
    if (Str(v, "name").empty()) out.push_back({"FieldValueRequired", at + ".name", "Required value"});
    const Json& schema = Obj(Obj(v, "schema"), "openAPIV3Schema");
    if (schema.empty()) {
      out.push_back({"FieldValueRequired", at + ".schema.openAPIV3Schema", "Required value: schemas are required"});
    } else {
      if (Str(schema, "type") != "object")
        out.push_back({"FieldValueInvalid", at + ".schema.openAPIV3Schema.type",
                       "Invalid value: \"" + Str(schema, "type") + "\": must be object at the root"});
      CheckSchema(schema, at + ".schema.openAPIV3Schema", &out);
    }
    const Json columns = v.value("additionalPrinterColumns", Json::array());
    for (size_t c = 0; columns.is_array() && c < columns.size(); ++c) {
      const std::string col = at + ".additionalPrinterColumns[" + std::to_string(c) + "]";
      std::string error;
      if (!ParseJsonPath(Str(columns[c], "jsonPath"), &error))
        out.push_back(
            {"FieldValueInvalid", col + ".JSONPath",
             "Invalid value: \"" + Str(columns[c], "jsonPath") + "\": must be a simple json path starting with ."});
      const std::string type = Str(columns[c], "type");
      static const std::vector<std::string> kTypes = {"integer", "number", "string", "boolean", "date"};
      if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end())
        out.push_back({"FieldValueNotSupported", col + ".type",
                       "Unsupported value: \"" + type +
                           "\": supported values: \"boolean\", \"date\", \"integer\", \"number\", \"string\""});
    }
  }
  if (!versions.empty() && storage != 1)
    out.push_back(
        {"FieldValueInvalid", "spec.versions",
         "Invalid value: " + std::to_string(storage) + ": must have exactly one version marked as storage version"});
  return out;
}

Json CustomResourceDefinitionStatus(const Json& crd, const std::string& now) {
  const Json& spec = Obj(crd, "spec");
  Json names = Obj(spec, "names");
  if (Str(names, "singular").empty()) names["singular"] = Lower(Str(names, "kind"));
  if (Str(names, "listKind").empty()) names["listKind"] = Str(names, "kind") + "List";
  Json stored = Json::array();
  for (const Json& v : Versions(crd))
    if (v.value("storage", false)) stored.push_back(Str(v, "name"));
  auto condition = [&](const char* type, const char* reason, const char* message) {
    return Json{
        {"type", type}, {"status", "True"}, {"lastTransitionTime", now}, {"reason", reason}, {"message", message}};
  };
  return {{"acceptedNames", names},
          {"conditions",
           {condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted")}},
          {"storedVersions", stored}};
}

std::vector<Resource> ResourcesOf(const Json& crd) {
  const Json& spec = Obj(crd, "spec");
  const Json& names = Obj(spec, "names");
  std::vector<Resource> out;
  for (const Json& v : Versions(crd)) {
    if (!v.value("served", true)) continue;
    Resource r;
    r.group = Str(spec, "group");
    r.version = Str(v, "name");
    r.name = Str(names, "plural");
    r.singular = Str(names, "singular").empty() ? Lower(Str(names, "kind")) : Str(names, "singular");
    r.kind = Str(names, "kind");
    r.namespaced = Str(spec, "scope") == "Namespaced";
    for (const Json& s : names.value("shortNames", Json::array()))
      if (s.is_string()) r.short_names.push_back(s);
    for (const Json& s : names.value("categories", Json::array()))
      if (s.is_string()) r.categories.push_back(s);
    const Json& subs = Obj(v, "subresources");
    if (subs.contains("status")) r.subresources.push_back("status");
    // A CRD's objects count generations whether or not status is a subresource.
    r.has_generation = true;
    r.crd = Str(Obj(crd, "metadata"), "name");
    r.schema = Obj(Obj(v, "schema"), "openAPIV3Schema");
    r.columns = v.value("additionalPrinterColumns", Json::array());
    out.push_back(std::move(r));
  }
  return out;
}

void CustomResources::Serve(const Json& crd) {
  std::vector<Resource> next = ResourcesOf(crd);
  const std::string name = Str(Obj(crd, "metadata"), "name");
  std::lock_guard<std::mutex> lock(mu_);
  auto same = [](const Resource& a, const Resource& b) {
    return a.group == b.group && a.version == b.version && a.name == b.name && a.singular == b.singular &&
           a.kind == b.kind && a.namespaced == b.namespaced && a.short_names == b.short_names &&
           a.subresources == b.subresources && a.schema == b.schema && a.columns == b.columns &&
           a.categories == b.categories;
  };
  ResourceSet kept;
  for (const Resource* r : served_)
    if (r->crd != name) kept.push_back(r);
  for (Resource& r : next) {
    auto existing =
        std::find_if(served_.begin(), served_.end(), [&](const Resource* s) { return s->crd == name && same(*s, r); });
    if (existing != served_.end()) {
      kept.push_back(*existing);
    } else {
      entries_.push_back(std::move(r));
      kept.push_back(&entries_.back());
    }
  }
  served_ = std::move(kept);
}

void CustomResources::Withdraw(const std::string& crd_name) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(served_, [&](const Resource* r) { return r->crd == crd_name; });
}

void CustomResources::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  served_.clear();
}

const Resource* CustomResources::Find(const std::string& group, const std::string& version,
                                      const std::string& plural) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Resource* r : served_)
    if (r->group == group && r->version == version && r->name == plural) return r;
  return nullptr;
}

ResourceSet CustomResources::Of(const std::string& crd_name) const {
  std::lock_guard<std::mutex> lock(mu_);
  ResourceSet out;
  for (const Resource* r : served_)
    if (r->crd == crd_name) out.push_back(r);
  return out;
}

ResourceSet CustomResources::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  return served_;
}

}  // namespace emulator
