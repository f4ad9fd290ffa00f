// RabbitMQ-specific rules: node naming, env references, literal credentials, memory settings,
// the topology documents themselves, classic mirroring, and an exposed management port.
#include <algorithm>
#include <map>

#include "diff/check/rabbit_config.h"
#include "diff/check/rules.h"
#include "diff/model/quantity.h"
#include "diff/model/rabbit_topology.h"

namespace warren::check {
namespace {

void CheckNodeName(const Object& sts, const std::string& service, const ExpandedEnv& env, const RabbitConfig& config,
                   Findings* out) {
  auto get = [&](const char* n) {
    auto it = env.values.find(n);
    return it == env.values.end() ? std::string() : it->second;
  };
  auto at = [&](const char* n) { return env.pointers.at(n) + "/value"; };
  std::string nodename = get("RABBITMQ_NODENAME");
  bool long_names = get("RABBITMQ_USE_LONGNAME") == "true";
  if (!nodename.empty()) {
    std::string host = nodename.substr(nodename.find('@') + 1);
    std::string pod_prefix = std::string(kPodPlaceholder) + ".";
    if (host.rfind(pod_prefix, 0) == 0) {
      std::string rest = host.substr(pod_prefix.size());
      if (rest != service && rest.rfind(service + ".", 0) != 0)
        out->push_back(MakeFinding("node-name", Severity::kError, sts, at("RABBITMQ_NODENAME"),
                                   "RABBITMQ_NODENAME resolves to rabbit@<pod>." + rest +
                                       " but the StatefulSet's headless Service is \"" + service +
                                       "\": the node name does not resolve and the nodes cannot cluster",
                                   "use rabbit@$(MY_POD_NAME)." + service + " (or ." + service + "." + sts.ns() +
                                       ", which any cluster DNS domain resolves)"));
    }
    bool dotted = host.find('.') != std::string::npos;
    if (dotted && !long_names)
      out->push_back(MakeFinding("node-name", Severity::kError, sts, at("RABBITMQ_NODENAME"),
                                 "RABBITMQ_NODENAME uses a fully qualified host but RABBITMQ_USE_LONGNAME is not "
                                 "\"true\": the node does not start",
                                 "set RABBITMQ_USE_LONGNAME to \"true\""));
    if (!dotted && long_names)
      out->push_back(MakeFinding("node-name", Severity::kError, sts, at("RABBITMQ_USE_LONGNAME"),
                                 "RABBITMQ_USE_LONGNAME is \"true\" but RABBITMQ_NODENAME has a short host name",
                                 "use rabbit@$(MY_POD_NAME)." + service + " or drop RABBITMQ_USE_LONGNAME"));
  }
  std::string suffix = get("K8S_HOSTNAME_SUFFIX");
  if (!suffix.empty() && suffix != "." + service && suffix.rfind("." + service + ".", 0) != 0)
    out->push_back(MakeFinding("node-name", Severity::kError, sts, at("K8S_HOSTNAME_SUFFIX"),
                               "K8S_HOSTNAME_SUFFIX resolves to \"" + suffix + "\" but the headless Service is \"" +
                                   service + "\": discovered peers get names that do not resolve",
                               "set K8S_HOSTNAME_SUFFIX to \"." + service + "\""));
  std::string k8s_service = get("K8S_SERVICE_NAME");
  if (!k8s_service.empty() && k8s_service != service)
    out->push_back(MakeFinding("node-name", Severity::kError, sts, at("K8S_SERVICE_NAME"),
                               "K8S_SERVICE_NAME is \"" + k8s_service + "\" but the StatefulSet's serviceName is \"" +
                                   service + "\": discovery reads the endpoints of the wrong Service",
                               "set K8S_SERVICE_NAME to \"" + service + "\""));
  auto conf_service = config.settings.find("cluster_formation.k8s.service_name");
  if (conf_service != config.settings.end() && conf_service->second != service)
    out->push_back(MakeFinding("node-name", Severity::kError, sts, "/spec/serviceName",
                               "rabbitmq.conf sets cluster_formation.k8s.service_name = " + conf_service->second +
                                   " but the StatefulSet's serviceName is \"" + service + "\"",
                               "set cluster_formation.k8s.service_name = " + service));
  auto conf_suffix = config.settings.find("cluster_formation.k8s.hostname_suffix");
  if (conf_suffix != config.settings.end() && conf_suffix->second.rfind("." + service, 0) != 0)
    out->push_back(MakeFinding("node-name", Severity::kError, sts, "/spec/serviceName",
                               "rabbitmq.conf sets cluster_formation.k8s.hostname_suffix = " + conf_suffix->second +
                                   ", which does not start with ." + service,
                               "set cluster_formation.k8s.hostname_suffix = ." + service + "." + sts.ns()));
}

// RabbitMQ memory amounts: plain bytes or with kB/MB/GB (1000) or KiB/MiB/GiB (1024) units.
long long RabbitMemoryBytes(const std::string& text) {
  size_t i = 0;
  long long n = 0;
  while (i < text.size() && isdigit(static_cast<unsigned char>(text[i]))) n = n * 10 + (text[i++] - '0');
  if (i == 0) return -1;
  std::string unit = text.substr(i);
  if (unit.empty()) return n;
  static const std::map<std::string, long long> kUnits = {{"kB", 1000LL},        {"KB", 1000LL},     {"MB", 1000000LL},
                                                          {"GB", 1000000000LL},  {"KiB", 1024LL},    {"MiB", 1048576LL},
                                                          {"GiB", 1073741824LL}, {"k", 1024LL},      {"K", 1024LL},
                                                          {"M", 1048576LL},      {"G", 1073741824LL}};
  auto it = kUnits.find(unit);
  return it == kUnits.end() ? -1 : n * it->second;
}

void CheckMemory(const Object& owner, const ContainerRef& c, const RabbitConfig& config, Findings* out) {
  const Json& limit =
      c.container->value("resources", Json::object()).value("limits", Json::object()).value("memory", Json());
  auto milli = ParseQuantity(limit);
  if (!milli) return;
  long long limit_bytes = QuantityBytes(*milli);
  std::string pointer = c.pointer + "/resources/limits/memory";
  for (const char* key : {"total_memory_available_override_value", "vm_memory_high_watermark.absolute"}) {
    auto it = config.settings.find(key);
    if (it == config.settings.end()) continue;
    long long bytes = RabbitMemoryBytes(it->second);
    if (bytes > limit_bytes)
      out->push_back(MakeFinding("rabbitmq-memory", Severity::kWarning, owner, pointer,
                                 std::string(key) + " = " + it->second + " is more than the container memory limit " +
                                     limit.get<std::string>() +
                                     ": the kernel kills the node before RabbitMQ applies back-pressure",
                                 "set " + std::string(key) + " to at most " + std::to_string(limit_bytes)));
    return;
  }
  std::string limit_text = limit.is_string() ? limit.get<std::string>() : limit.dump();
  out->push_back(MakeFinding("rabbitmq-memory", Severity::kWarning, owner, pointer,
                             "memory limit " + limit_text +
                                 " is set but RabbitMQ is not told: it computes its memory watermark from the host's "
                                 "memory and is OOM-killed before it throttles publishers",
                             "set total_memory_available_override_value = " + std::to_string(limit_bytes) +
                                 " in rabbitmq.conf (a ConfigMap mounted by the pods)"));
}

void CheckCredentials(const Object& owner, const ContainerRef& c, Findings* out) {
  const Json& env = c.container->value("env", Json::array());
  for (size_t i = 0; i < env.size(); ++i) {
    std::string name = StringField(env[i], "name");
    if ((name == "RABBITMQ_ERLANG_COOKIE" || name == "RABBITMQ_DEFAULT_PASS") && env[i].contains("value"))
      out->push_back(MakeFinding("literal-credential", Severity::kError, owner,
                                 c.pointer + "/env/" + std::to_string(i) + "/value",
                                 name + " is written in the manifest as a literal value: everyone who can read the "
                                        "repository or the StatefulSet has it",
                                 "read it from a Secret: valueFrom.secretKeyRef"));
  }
}

// A Secret `key` holding every credential a User, Federation or Shovel reads, none of them real.
Object StandInSecret(const ResourceKey& key) {
  Json values = Json::object();
  for (const char* k : {"username", "password", "uri", "srcUri", "destUri"}) values[k] = std::string("stand-in-") + k;
  return Object({{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", key.name}, {"namespace", key.ns}}},
                 {"stringData", values}},
                SourceLocation{"(stand-in)"});
}

}  // namespace

void CheckNodeNaming(const ManifestIndex& index, Findings* out) {
  for (const PodTemplate& pod : index.pod_templates()) {
    std::string service = pod.owner->kind() == "StatefulSet"
                              ? StringField(pod.owner->doc().value("spec", Json::object()), "serviceName")
                              : "";
    RabbitConfig config = ReadRabbitConfig(index, pod);
    for (const ContainerRef& c : Containers(pod)) {
      ExpandedEnv env = ExpandEnv(*pod.owner, c, out);
      if (!service.empty() && IsRabbitMqContainer(*c.container)) CheckNodeName(*pod.owner, service, env, config, out);
    }
  }
}

void CheckLiteralCredentials(const ManifestIndex& index, Findings* out) {
  for (const PodTemplate& pod : index.pod_templates())
    for (const ContainerRef& c : Containers(pod)) CheckCredentials(*pod.owner, c, out);
  for (const Object* cm : index.OfKind("", "ConfigMap")) {
    const Json& data = cm->doc().value("data", Json::object());
    for (auto it = data.begin(); it != data.end(); ++it) {
      std::string pointer = "/data/" + it.key();
      if (it.key() == ".erlang.cookie" || it.key() == "erlang.cookie")
        out->push_back(MakeFinding("literal-credential", Severity::kError, *cm, pointer,
                                   "the Erlang cookie is stored in a ConfigMap, which is not secret",
                                   "move it to a Secret and mount that instead"));
      if (!it.value().is_string()) continue;
      auto settings = ParseRabbitConf(it.value().get<std::string>());
      if (settings.count("default_pass"))
        out->push_back(MakeFinding("literal-credential", Severity::kError, *cm, pointer,
                                   "rabbitmq.conf in a ConfigMap sets default_pass: the password is readable by anyone "
                                   "who can read ConfigMaps",
                                   "remove default_pass and set RABBITMQ_DEFAULT_PASS from a Secret"));
    }
  }
}

void CheckMemorySettings(const ManifestIndex& index, Findings* out) {
  for (const PodTemplate& pod : index.pod_templates()) {
    RabbitConfig config = ReadRabbitConfig(index, pod);
    for (const ContainerRef& c : Containers(pod))
      if (IsRabbitMqContainer(*c.container)) CheckMemory(*pod.owner, c, config, out);
  }
}

void CheckRabbitTopology(const ManifestIndex& index, Findings* out) {
  // Users and permissions are read with the rest of the set: Secrets, and User names.
  std::vector<const Object*> secrets = rabbit::SecretsIn(index.objects());
  std::map<std::string, std::string> users = rabbit::UserNames(index.objects(), secrets);
  for (const Object& o : index.objects()) {
    if (rabbit::IsUnmanagedRabbitObject(o))
      out->push_back(MakeFinding(
          "unmanaged-rabbitmq-kind", Severity::kWarning, o, "",
          o.kind() + " is a rabbitmq.com kind warren does not manage in RabbitMQ: not compared, not applied",
          "manage it with the messaging-topology operator, or in RabbitMQ directly"));
    if (!rabbit::IsTopologyObject(o)) continue;
    for (const std::string& field : rabbit::UnsupportedFields(o)) {
      std::string pointer = "/" + field;
      std::replace(pointer.begin(), pointer.end(), '.', '/');
      out->push_back(MakeFinding("unsupported-field", Severity::kWarning, o, pointer,
                                 field + " is not supported by warren: not compared, not applied",
                                 "remove it, or manage this setting in RabbitMQ directly"));
    }
    // Credentials kept in the cluster (or generated there) cannot be checked from files; the rest
    // of the object is, against a stand-in Secret.
    std::vector<const Object*> with_secret = secrets;
    Object stand_in;
    if (auto key = rabbit::CredentialsSecretOf(o); key && !rabbit::FindSecret(secrets, *key)) {
      stand_in = StandInSecret(*key);
      with_secret.push_back(&stand_in);
    }
    Status s = o.kind() == "User"              ? rabbit::UserFromObject(o, with_secret).status()
               : o.kind() == "Federation"      ? rabbit::FederationFromObject(o, with_secret).status()
               : o.kind() == "Shovel"          ? rabbit::ShovelFromObject(o, with_secret).status()
               : o.kind() == "Permission"      ? rabbit::PermissionFromObject(o, users).status()
               : o.kind() == "TopicPermission" ? rabbit::TopicPermissionFromObject(o, users).status()
                                               : rabbit::ValidateTopologyObject(o);
    if (!s.ok()) {
      // The message starts with the location; keep only what follows "<object> ".
      std::string message = s.message();
      auto pos = message.find(o.key().ToString());
      if (pos != std::string::npos) message = message.substr(pos);
      out->push_back(MakeFinding("invalid-rabbitmq-object", Severity::kError, o, "/spec", message,
                                 "correct the spec as the messaging-topology operator defines it"));
      continue;
    }
    if (o.kind() != "Policy") continue;
    rabbit::Policy p = rabbit::PolicyFromObject(o).value();
    auto mode = p.definition.find("ha-mode");
    if (mode == p.definition.end()) continue;
    std::string m = mode->is_string() ? mode->get<std::string>() : mode->dump();
    out->push_back(MakeFinding(
        "classic-mirrored-queues", Severity::kWarning, o, "/spec/definition/ha-mode",
        "policy " + p.name + " mirrors classic queues (ha-mode: " + m +
            "), which is deprecated and removed in RabbitMQ 4.0",
        "declare these queues as quorum queues (x-queue-type: quorum) and drop the ha-* keys once migrated"));
    const Json params = p.definition.value("ha-params", Json());
    bool bad = (m == "exactly" && !(params.is_number_integer() && params.get<long long>() >= 1)) ||
               (m == "nodes" && !(params.is_array() && !params.empty())) ||
               (m != "all" && m != "exactly" && m != "nodes");
    if (bad)
      out->push_back(MakeFinding(
          "invalid-rabbitmq-object", Severity::kError, o, "/spec/definition",
          "policy " + p.name + ": ha-mode " + m + " with ha-params " + params.dump() + " is rejected by RabbitMQ",
          "use ha-mode all, exactly with an integer ha-params >= 1, or nodes with a list of node names"));
  }
}

void CheckManagementExposure(const ManifestIndex& index, Findings* out) {
  for (const Object* svc : index.OfKind("", "Service")) {
    const Json& spec = svc->doc().value("spec", Json::object());
    const std::string& type = StringField(spec, "type");
    if (type != "NodePort" && type != "LoadBalancer") continue;
    const Json& ports = spec.value("ports", Json::array());
    for (size_t i = 0; i < ports.size(); ++i) {
      const Json& p = ports[i];
      bool management = p.value("port", Json()) == 15672 || p.value("targetPort", Json()) == 15672;
      if (!management) continue;
      out->push_back(MakeFinding(
          "management-exposed", Severity::kWarning, *svc, "/spec/ports/" + std::to_string(i),
          "the RabbitMQ management UI and API (15672) are exposed outside the cluster through a " + type + " Service",
          "serve 15672 through a ClusterIP Service and reach it with kubectl port-forward or an authenticated "
          "ingress"));
    }
  }
}

}  // namespace warren::check
