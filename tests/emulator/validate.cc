#include "tests/emulator/validate.h"

namespace emulator {
namespace {

// Go's %#v of a map[string]string, as 1.32 servers render bad values.
std::string GoStringMap(const Json& m) {
  std::string out = "map[string]string{";
  bool first = true;
  for (auto it = m.begin(); it != m.end(); ++it) {
    out += (first ? "" : ", ") + Json(it.key()).dump() + ":" + (it->is_string() ? it->dump() : Json(it->dump()).dump());
    first = false;
  }
  return out + "}";
}

bool SelectorMatches(const Json& selector, const Json& labels) {
  if (!selector.contains("matchLabels")) return true;
  for (auto it = selector["matchLabels"].begin(); it != selector["matchLabels"].end(); ++it)
    if (!labels.is_object() || !labels.contains(it.key()) || labels[it.key()] != *it) return false;
  return true;
}

void StatefulSet(const Json& obj, const Json* old, std::vector<FieldError>* out) {
  const Json spec = obj.value("spec", Json::object());
  if (!spec.contains("selector") || spec["selector"].is_null()) {
    out->push_back({"FieldValueRequired", "spec.selector", "Required value"});
  } else {
    Json labels =
        spec.value("template", Json::object()).value("metadata", Json::object()).value("labels", Json::object());
    if (!SelectorMatches(spec["selector"], labels))
      out->push_back({"FieldValueInvalid", "spec.template.metadata.labels",
                      "Invalid value: " + GoStringMap(labels) + ": `selector` does not match template `labels`"});
  }
  const Json containers =
      spec.value("template", Json::object()).value("spec", Json::object()).value("containers", Json());
  if (!containers.is_array() || containers.empty())
    out->push_back({"FieldValueRequired", "spec.template.spec.containers", "Required value"});
  if (!old) return;
  // Everything but the mutable fields must be equal: copy those from new into old, compare.
  Json before = old->value("spec", Json::object()), after = spec;
  for (const char* f : {"replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                        "minReadySeconds"}) {
    before.erase(f);
    after.erase(f);
  }
  if (before != after)
    out->push_back({"FieldValueForbidden", "spec",
                    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"});
}

void RoleBinding(const Json& obj, const Json* old, std::vector<FieldError>* out) {
  if (!obj.contains("roleRef")) {
    out->push_back({"FieldValueRequired", "roleRef.name", "Required value"});
    return;
  }
  if (old && old->contains("roleRef") && (*old)["roleRef"] != obj["roleRef"]) {
    const Json& r = obj["roleRef"];
    out->push_back({"FieldValueInvalid", "roleRef",
                    "Invalid value: rbac.RoleRef{APIGroup:" + Json(r.value("apiGroup", "")).dump() +
                        ", Kind:" + Json(r.value("kind", "")).dump() + ", Name:" + Json(r.value("name", "")).dump() +
                        "}: cannot change roleRef"});
  }
}

void Service(const Json& obj, const Json* old, std::vector<FieldError>* out) {
  if (!old) return;
  const Json& now = obj["spec"];
  const Json& before = (*old)["spec"];
  if (before.contains("clusterIP") && now.contains("clusterIP") && before["clusterIP"] != now["clusterIP"]) {
    std::string ips = "[]string{";
    for (size_t i = 0; i < now.value("clusterIPs", Json::array()).size(); ++i)
      ips += (i ? ", " : "") + now["clusterIPs"][i].dump();
    out->push_back({"FieldValueInvalid", "spec.clusterIPs[0]", "Invalid value: " + ips + "}: may not change once set"});
  }
}

void ImmutableData(const Json& obj, const Json* old, std::vector<FieldError>* out) {
  if (!old || !old->value("immutable", false)) return;
  for (const char* f : {"data", "binaryData", "type"})
    if (old->value(f, Json()) != obj.value(f, Json()))
      out->push_back({"FieldValueForbidden", f, "Forbidden: field is immutable when `immutable` is set"});
  if (!obj.value("immutable", false))
    out->push_back({"FieldValueForbidden", "immutable", "Forbidden: field is immutable when `immutable` is set"});
}

}  // namespace

std::vector<FieldError> Validate(const std::string& kind, const Json& obj, const Json* old) {
  std::vector<FieldError> out;
  const Json meta = obj.value("metadata", Json::object());
  if (!meta.contains("name") || !meta["name"].is_string() || meta["name"].get<std::string>().empty())
    out.push_back({"FieldValueRequired", "metadata.name", "Required value: name or generateName is required"});
  if (kind == "StatefulSet")
    StatefulSet(obj, old, &out);
  else if (kind == "RoleBinding" || kind == "ClusterRoleBinding")
    RoleBinding(obj, old, &out);
  else if (kind == "Service")
    Service(obj, old, &out);
  else if (kind == "Secret" || kind == "ConfigMap")
    ImmutableData(obj, old, &out);
  return out;
}

}  // namespace emulator
