// The seed article's third failure: names tied to the DNS domain cluster.local. A cluster set up
// with another domain (kubelet --cluster-domain) answers NXDOMAIN for them, so peer discovery
// cannot reach the API server and nodes cannot reach each other. Pods resolve the short forms
// (kubernetes.default.svc, <pod>.<service>.<namespace>) through their DNS search path on any domain.
#include "diff/check/rabbit_config.h"
#include "diff/check/rules.h"

namespace warren::check {
namespace {

const std::string kDomain = ".cluster.local";

// Where ".cluster.local" ends a name in `value` (followed by nothing, ".", ":" or "/"), or npos.
size_t DomainAt(const std::string& value) {
  for (size_t at = value.find(kDomain); at != std::string::npos; at = value.find(kDomain, at + 1)) {
    size_t end = at + kDomain.size();
    if (end == value.size() || value[end] == '.' || value[end] == ':' || value[end] == '/') return at;
  }
  return std::string::npos;
}

// The value with the domain taken out: "kubernetes.default.svc.cluster.local" -> "kubernetes.default.svc".
std::string WithoutDomain(std::string value) {
  size_t at = DomainAt(value);
  if (at == std::string::npos) return value;
  size_t end = at + kDomain.size();
  if (end < value.size() && value[end] == '.') ++end;  // the root dot of "cluster.local."
  return value.erase(at, end - at);
}

std::string Consequence(const std::string& what) {
  return what +
         " names the DNS domain cluster.local: on a cluster whose DNS domain is another one the lookup fails "
         "with NXDOMAIN and the RabbitMQ nodes never find each other";
}

void CheckEnv(const Object& owner, const ExpandedEnv& env, Findings* out) {
  auto value = [&](const char* n) {
    auto it = env.values.find(n);
    return it == env.values.end() ? std::string() : it->second;
  };
  for (const char* name : {"K8S_HOST", "K8S_HOSTNAME_SUFFIX", "RABBITMQ_NODENAME"}) {
    std::string v = value(name);
    if (DomainAt(v) == std::string::npos) continue;
    // The fix shows the value as written (with its $(VARS)), minus the domain.
    std::string written = StringField(owner.doc().at(Json::json_pointer(env.pointers.at(name))), "value");
    out->push_back(MakeFinding("cluster-domain", Severity::kWarning, owner, env.pointers.at(name) + "/value",
                               Consequence(std::string(name) + " (" + v + ")"),
                               std::string("set ") + name + " to \"" + WithoutDomain(written) + "\""));
  }
  if (value("AUTOCLUSTER_TYPE") == "k8s" && value("K8S_HOST").empty())
    out->push_back(MakeFinding("cluster-domain", Severity::kWarning, owner,
                               env.pointers.at("AUTOCLUSTER_TYPE") + "/value",
                               Consequence("AUTOCLUSTER_TYPE=k8s without K8S_HOST uses the default API host "
                                           "kubernetes.default.svc.cluster.local, which"),
                               "set K8S_HOST to \"kubernetes.default.svc\""));
}

// rabbitmq.conf in the ConfigMaps the pod mounts.
// `host_set`: K8S_HOST is in the env (the plugin reads it too).
void CheckConf(const RabbitConfig& config, bool k8s_backend, bool host_set, Findings* out) {
  for (const Object* cm : config.config_maps) {
    const Json& data = cm->doc().value("data", Json::object());
    for (auto it = data.begin(); it != data.end(); ++it) {
      const std::string& key = it.key();
      if (!it.value().is_string() || !IsRabbitConfKey(key)) continue;
      for (const auto& [setting, v] : ParseRabbitConf(it.value().get<std::string>())) {
        if (setting == "cluster_formation.k8s.host") host_set = true;
        if (setting != "cluster_formation.k8s.host" && setting != "cluster_formation.k8s.hostname_suffix") continue;
        if (DomainAt(v) == std::string::npos) continue;
        out->push_back(MakeFinding("cluster-domain", Severity::kWarning, *cm, "/data/" + key,
                                   Consequence(key + " sets " + setting + " = " + v + ", which"),
                                   "set " + setting + " = " + WithoutDomain(v)));
      }
    }
  }
  if (k8s_backend && !host_set && !config.config_maps.empty())
    out->push_back(MakeFinding(
        "cluster-domain", Severity::kWarning, *config.config_maps.front(), "/data",
        Consequence("rabbit_peer_discovery_k8s without cluster_formation.k8s.host uses the default API host "
                    "kubernetes.default.svc.cluster.local, which"),
        "set cluster_formation.k8s.host = kubernetes.default.svc"));
}

}  // namespace

void CheckClusterDomain(const ManifestIndex& index, Findings* out) {
  for (const PodTemplate& pod : index.pod_templates()) {
    RabbitConfig config = ReadRabbitConfig(index, pod);
    bool k8s_backend = K8sPeerDiscoveryEvidence(pod, config).rfind("cluster_formation.peer_discovery_backend", 0) == 0;
    bool rabbit = false, env_host = false;
    for (const ContainerRef& c : Containers(pod)) {
      if (!IsRabbitMqContainer(*c.container)) continue;
      rabbit = true;
      ExpandedEnv env = ExpandEnv(*pod.owner, c, nullptr);
      env_host = env_host || env.values.count("K8S_HOST");
      CheckEnv(*pod.owner, env, out);
    }
    if (rabbit) CheckConf(config, k8s_backend, env_host, out);
  }
}

}  // namespace warren::check
