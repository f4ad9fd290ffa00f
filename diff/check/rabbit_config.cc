#include "diff/check/rabbit_config.h"

#include <sstream>

namespace warren::check {
namespace {

std::string Trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Names of the ConfigMaps a pod mounts (plain and projected volumes).
std::vector<std::string> MountedConfigMaps(const Json& pod_spec) {
  std::vector<std::string> names;
  auto volumes = pod_spec.find("volumes");
  if (volumes == pod_spec.end() || !volumes->is_array()) return names;
  for (const Json& v : *volumes) {
    if (!v.is_object()) continue;
    if (auto cm = v.find("configMap"); cm != v.end()) names.push_back(StringField(*cm, "name"));
    auto projected = v.find("projected");
    if (projected == v.end() || !projected->contains("sources")) continue;
    for (const Json& src : (*projected)["sources"])
      if (src.is_object() && src.contains("configMap")) names.push_back(StringField(src["configMap"], "name"));
  }
  return names;
}

// Expands $(VAR) the way the kubelet does: only variables defined earlier in the same list;
// $$ escapes. Undefined references are left as written and reported through `undefined`.
std::string Expand(const std::string& value, const std::map<std::string, std::string>& vars,
                   std::vector<std::string>* undefined) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '(') {
      auto close = value.find(')', i);
      if (close == std::string::npos) {
        out += value.substr(i);
        break;
      }
      std::string name = value.substr(i + 2, close - i - 2);
      auto it = vars.find(name);
      if (it != vars.end())
        out += it->second;
      else
        out += value.substr(i, close - i + 1), undefined->push_back(name);
      i = close;
    } else {
      out += value[i];
    }
  }
  return out;
}

}  // namespace

ExpandedEnv ExpandEnv(const Object& owner, const ContainerRef& c, Findings* out) {
  ExpandedEnv env;
  const Json& list = c.container->value("env", Json::array());
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& e = list[i];
    std::string name = StringField(e, "name");
    std::string pointer = c.pointer + "/env/" + std::to_string(i);
    std::string value;
    if (e.contains("value") && e["value"].is_string()) {
      std::vector<std::string> undefined;
      value = Expand(e["value"].get<std::string>(), env.values, &undefined);
      for (const std::string& u : undefined)
        if (out)
          out->push_back(
              MakeFinding("env-reference", Severity::kWarning, owner, pointer + "/value",
                          "env " + name + " refers to $(" + u +
                              "), which is not defined before it in the list: Kubernetes leaves the text unexpanded",
                          "define " + u + " earlier in env, or remove the reference"));
    } else if (StringField(e.value("valueFrom", Json::object()).value("fieldRef", Json::object()), "fieldPath") ==
               "metadata.name") {
      value = kPodPlaceholder;
    } else {
      value = "<" + name + ">";
    }
    env.values[name] = value;
    env.pointers[name] = pointer;
  }
  return env;
}

bool IsRabbitConfKey(const std::string& key) { return key.size() > 5 && key.compare(key.size() - 5, 5, ".conf") == 0; }

std::map<std::string, std::string> ParseRabbitConf(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    out[Trim(t.substr(0, eq))] = Trim(t.substr(eq + 1));
  }
  return out;
}

RabbitConfig ReadRabbitConfig(const ManifestIndex& index, const PodTemplate& pod) {
  RabbitConfig config;
  for (const std::string& name : MountedConfigMaps(*pod.spec)) {
    const Object* cm = index.Find("", "ConfigMap", pod.owner->ns(), name);
    if (!cm) continue;
    config.config_maps.push_back(cm);
    auto data = cm->doc().find("data");
    if (data == cm->doc().end() || !data->is_object()) continue;
    for (auto it = data->begin(); it != data->end(); ++it) {
      if (!it.value().is_string()) continue;
      const std::string& key = it.key();
      if (key == "enabled_plugins")
        config.plugins += it.value().get<std::string>() + "\n";
      else if (IsRabbitConfKey(key))
        for (auto& [k, v] : ParseRabbitConf(it.value().get<std::string>())) config.settings[k] = v;
    }
  }
  return config;
}

std::string K8sPeerDiscoveryEvidence(const PodTemplate& pod, const RabbitConfig& config) {
  for (const ContainerRef& c : Containers(pod)) {
    const Json* type = EnvVar(*c.container, "AUTOCLUSTER_TYPE");
    if (type && StringField(*type, "value") == "k8s") return "AUTOCLUSTER_TYPE=k8s";
  }
  auto backend = config.settings.find("cluster_formation.peer_discovery_backend");
  if (backend != config.settings.end() &&
      (backend->second == "k8s" || backend->second == "rabbit_peer_discovery_k8s" || backend->second == "kubernetes"))
    return "cluster_formation.peer_discovery_backend = " + backend->second;
  if (config.plugins.find("rabbitmq_peer_discovery_k8s") != std::string::npos)
    return "the rabbitmq_peer_discovery_k8s plugin";
  return "";
}

}  // namespace warren::check
