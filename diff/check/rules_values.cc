// non-string-value: values Kubernetes expects as strings (env values, labels, annotations,
// ConfigMap data) written so YAML 1.1 reads them as booleans or numbers: `value: yes`,
// `enabled: on`, `version: 1.10`. The API server rejects the object, or the value changes (1.10 -> 1.1).
#include "diff/check/rules.h"

namespace warren::check {
namespace {

void CheckValue(const Object& o, const Json& v, const std::string& pointer, const std::string& what, Findings* out) {
  if (v.is_string() || v.is_null()) return;
  std::string type = v.is_boolean() ? "the boolean " : v.is_number() ? "the number " : "";
  if (type.empty()) return;  // objects and lists have other problems, reported by the server
  std::string message = what + " is " + type + v.dump() + ", but Kubernetes expects a string";
  if (v.is_boolean()) message += " (YAML 1.1 reads unquoted yes/no/on/off/true/false as booleans)";
  out->push_back(MakeFinding("non-string-value", Severity::kError, o, pointer, message, "quote the value in the YAML"));
}

void CheckMap(const Object& o, const Json& map, const std::string& pointer, const std::string& what, Findings* out) {
  if (!map.is_object()) return;
  for (auto it = map.begin(); it != map.end(); ++it)
    CheckValue(o, it.value(), pointer + "/" + it.key(), what + " " + it.key(), out);
}

}  // namespace

void CheckStringValues(const ManifestIndex& index, Findings* out) {
  for (const Object& o : index.objects()) {
    const Json& meta = o.doc().value("metadata", Json::object());
    CheckMap(o, meta.value("labels", Json::object()), "/metadata/labels", "label", out);
    CheckMap(o, meta.value("annotations", Json::object()), "/metadata/annotations", "annotation", out);
    if (o.group().empty() && o.kind() == "ConfigMap")
      CheckMap(o, o.doc().value("data", Json::object()), "/data", "data key", out);
  }
  for (const PodTemplate& pod : index.pod_templates()) {
    std::string meta = pod.pointer.substr(0, pod.pointer.size() - 5) + "/metadata";
    if (pod.owner->kind() != "Pod") {
      Json::json_pointer p(meta);
      if (pod.owner->doc().contains(p)) {
        const Json& m = pod.owner->doc().at(p);
        CheckMap(*pod.owner, m.value("labels", Json::object()), meta + "/labels", "pod label", out);
        CheckMap(*pod.owner, m.value("annotations", Json::object()), meta + "/annotations", "pod annotation", out);
      }
    }
    for (const ContainerRef& c : Containers(pod)) {
      const Json& env = c.container->value("env", Json::array());
      for (size_t i = 0; i < env.size(); ++i)
        if (env[i].contains("value"))
          CheckValue(*pod.owner, env[i]["value"], c.pointer + "/env/" + std::to_string(i) + "/value",
                     "env " + StringField(env[i], "name"), out);
    }
  }
}

}  // namespace warren::check
