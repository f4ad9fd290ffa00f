// missing-secret, missing-secret-key, missing-configmap, missing-configmap-key: references from
// pod templates to Secrets and ConfigMaps that are not in the set. The seed referenced Secret
// "devsecret" (and image pull Secret "regsecret") that were never created.
//
// A Secret whose values must not be committed is declared on the workload with the annotation
// `warren.io/external-secrets: "name,name"`: it is then expected to exist in the cluster instead.
#include <set>
#include <sstream>

#include "diff/check/rules.h"
#include "diff/model/object.h"

namespace warren::check {
namespace {

constexpr const char* kExternalSecrets = "warren.io/external-secrets";

struct Ref {
  std::string kind;  // "Secret" or "ConfigMap"
  std::string name;
  std::string key;  // empty when the whole object is referenced
  bool optional;
  std::string pointer;
  std::string what;  // how it is used, for the message
};

bool Optional(const Json& j) { return BoolField(j, "optional", false); }

void AddItems(std::vector<Ref>* refs, const std::string& kind, const std::string& name, const Json& source,
              const std::string& pointer, const std::string& what) {
  bool optional = Optional(source);
  refs->push_back({kind, name, "", optional, pointer, what});
  auto items = source.find("items");
  if (items == source.end() || !items->is_array()) return;
  for (size_t i = 0; i < items->size(); ++i)
    refs->push_back(
        {kind, name, StringField((*items)[i], "key"), optional, pointer + "/items/" + std::to_string(i), what});
}

std::vector<Ref> CollectRefs(const PodTemplate& pod) {
  std::vector<Ref> refs;
  const Json& spec = *pod.spec;
  for (const ContainerRef& c : Containers(pod)) {
    const Json& env = c.container->value("env", Json::array());
    for (size_t i = 0; i < env.size(); ++i) {
      const Json& from = env[i].value("valueFrom", Json::object());
      std::string p = c.pointer + "/env/" + std::to_string(i) + "/valueFrom";
      std::string what = "env " + StringField(env[i], "name");
      if (auto s = from.find("secretKeyRef"); s != from.end())
        refs.push_back(
            {"Secret", StringField(*s, "name"), StringField(*s, "key"), Optional(*s), p + "/secretKeyRef", what});
      if (auto m = from.find("configMapKeyRef"); m != from.end())
        refs.push_back(
            {"ConfigMap", StringField(*m, "name"), StringField(*m, "key"), Optional(*m), p + "/configMapKeyRef", what});
    }
    const Json& env_from = c.container->value("envFrom", Json::array());
    for (size_t i = 0; i < env_from.size(); ++i) {
      std::string p = c.pointer + "/envFrom/" + std::to_string(i);
      if (auto s = env_from[i].find("secretRef"); s != env_from[i].end())
        refs.push_back({"Secret", StringField(*s, "name"), "", Optional(*s), p + "/secretRef", "envFrom"});
      if (auto m = env_from[i].find("configMapRef"); m != env_from[i].end())
        refs.push_back({"ConfigMap", StringField(*m, "name"), "", Optional(*m), p + "/configMapRef", "envFrom"});
    }
  }
  const Json& pull = spec.value("imagePullSecrets", Json::array());
  for (size_t i = 0; i < pull.size(); ++i)
    refs.push_back({"Secret", StringField(pull[i], "name"), "", false,
                    pod.pointer + "/imagePullSecrets/" + std::to_string(i), "imagePullSecrets"});
  const Json& volumes = spec.value("volumes", Json::array());
  for (size_t i = 0; i < volumes.size(); ++i) {
    const Json& v = volumes[i];
    std::string p = pod.pointer + "/volumes/" + std::to_string(i);
    std::string what = "volume " + StringField(v, "name");
    if (auto s = v.find("secret"); s != v.end())
      AddItems(&refs, "Secret", StringField(*s, "secretName"), *s, p + "/secret", what);
    if (auto m = v.find("configMap"); m != v.end())
      AddItems(&refs, "ConfigMap", StringField(*m, "name"), *m, p + "/configMap", what);
    const Json& sources = v.value("projected", Json::object()).value("sources", Json::array());
    for (size_t j = 0; j < sources.size(); ++j) {
      std::string sp = p + "/projected/sources/" + std::to_string(j);
      if (auto s = sources[j].find("secret"); s != sources[j].end())
        AddItems(&refs, "Secret", StringField(*s, "name"), *s, sp + "/secret", what);
      if (auto m = sources[j].find("configMap"); m != sources[j].end())
        AddItems(&refs, "ConfigMap", StringField(*m, "name"), *m, sp + "/configMap", what);
    }
  }
  return refs;
}

std::set<std::string> ExternalSecrets(const Object& owner) {
  std::set<std::string> names;
  const Json& annotations = owner.doc().value("metadata", Json::object()).value("annotations", Json::object());
  std::istringstream in(StringField(annotations, kExternalSecrets));
  std::string name;
  while (std::getline(in, name, ',')) {
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) names.insert(name);
  }
  return names;
}

bool HasKey(const Object& o, const std::string& key) {
  for (const char* field : {"data", "stringData", "binaryData"}) {
    auto it = o.doc().find(field);
    if (it != o.doc().end() && it->is_object() && it->contains(key)) return true;
  }
  return false;
}

}  // namespace

void CheckSecretAndConfigMapRefs(const ManifestIndex& index, Findings* out) {
  for (const PodTemplate& pod : index.pod_templates()) {
    const Object& owner = *pod.owner;
    std::set<std::string> external = ExternalSecrets(owner);
    std::set<std::string> reported;  // one finding per missing object per workload
    for (const Ref& ref : CollectRefs(pod)) {
      if (ref.name.empty() || ref.optional) continue;
      if (ref.kind == "Secret" && external.count(ref.name)) continue;
      const Object* target = index.Find("", ref.kind, owner.ns(), ref.name);
      std::string lower = ref.kind == "Secret" ? "secret" : "configmap";
      std::string target_name = ref.kind + " " + owner.ns() + "/" + ref.name;
      if (!target) {
        if (!reported.insert(ref.name).second) continue;
        std::string fix = "add " + target_name + " to the manifests";
        if (ref.kind == "Secret")
          fix += ", or, if its values are kept out of git, list it in the annotation " + std::string(kExternalSecrets) +
                 " and create it in the cluster";
        out->push_back(MakeFinding(("missing-" + lower).c_str(), Severity::kError, owner, ref.pointer,
                                   target_name + " (used by " + ref.what + ") is not in the set: the pods cannot start",
                                   fix));
      } else if (!ref.key.empty() && !HasKey(*target, ref.key)) {
        out->push_back(MakeFinding(("missing-" + lower + "-key").c_str(), Severity::kError, owner, ref.pointer,
                                   target_name + " has no key \"" + ref.key + "\" (used by " + ref.what + ")",
                                   "add key \"" + ref.key + "\" to " + target_name + " or correct the key name"));
      }
    }
  }
}

}  // namespace warren::check
