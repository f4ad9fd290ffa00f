// What a RabbitMQ pod is configured with: its rabbitmq.conf settings and enabled plugins, read
// from the ConfigMaps its volumes mount, and whether it uses Kubernetes peer discovery.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "diff/check/finding.h"
#include "diff/check/manifest_index.h"

namespace warren::check {

struct RabbitConfig {
  std::map<std::string, std::string> settings;  // rabbitmq.conf (sysctl format) key -> value
  std::string plugins;                          // enabled_plugins text, all files joined
  std::vector<const Object*> config_maps;       // the ConfigMaps mounted by the pod
};

// A ConfigMap key RabbitMQ reads as configuration (rabbitmq.conf, conf.d/*.conf): ends in ".conf".
bool IsRabbitConfKey(const std::string& key);

// Parses rabbitmq.conf's "key = value" lines; comments and blank lines are skipped.
std::map<std::string, std::string> ParseRabbitConf(const std::string& text);

// A container's env as the kubelet expands it ($(VAR) of earlier entries), with the pod's name
// standing as kPodPlaceholder and other values from Secrets or fields as "<NAME>".
inline constexpr const char* kPodPlaceholder = "<pod>";
struct ExpandedEnv {
  std::map<std::string, std::string> values;    // name -> expanded value
  std::map<std::string, std::string> pointers;  // name -> pointer of the entry
};
// References to variables not defined earlier are reported on `out` (env-reference) when given.
ExpandedEnv ExpandEnv(const Object& owner, const ContainerRef& c, Findings* out);

RabbitConfig ReadRabbitConfig(const ManifestIndex& index, const PodTemplate& pod);

// Non-empty (a sentence naming the evidence) when the pod clusters through the Kubernetes API:
// the old autocluster plugin (AUTOCLUSTER_TYPE=k8s) or rabbit_peer_discovery_k8s.
std::string K8sPeerDiscoveryEvidence(const PodTemplate& pod, const RabbitConfig& config);

}  // namespace warren::check
