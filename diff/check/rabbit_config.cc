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
      if (src.is_object() && src.contains("configMap"))
        names.push_back(StringField(src["configMap"], "name"));
  }
  return names;
}

}  // namespace

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
      if (key == "enabled_plugins") config.plugins += it.value().get<std::string>() + "\n";
      else if (key.size() > 5 && key.compare(key.size() - 5, 5, ".conf") == 0)
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
      (backend->second == "k8s" || backend->second == "rabbit_peer_discovery_k8s" ||
       backend->second == "kubernetes"))
    return "cluster_formation.peer_discovery_backend = " + backend->second;
  if (config.plugins.find("rabbitmq_peer_discovery_k8s") != std::string::npos)
    return "the rabbitmq_peer_discovery_k8s plugin";
  return "";
}

}  // namespace warren::check
