// Where node N of a RabbitMQ StatefulSet answers: every health check judges the node that answers,
// so the gate before pod N must reach pod N's own management listener, never a Service.
//
// A template with {pod}, {ordinal}, {service} and {namespace} (by default
// http://{pod}.{service}.{namespace}.svc:15672, the pod's DNS name through the headless Service,
// with the scheme and port of the cluster's management URL), and per-pod overrides for tests and
// for running outside the cluster ("rabbitmq/1" or "1" → URL).
#pragma once

#include <map>
#include <string>

#include "diff/model/status.h"

namespace warren::rollout {

struct NodeAddressOptions {
  std::string url_template;                      // "" = the default above
  std::string cluster_url;                       // scheme and port for the default template
  std::map<std::string, std::string> overrides;  // "[statefulset/]ordinal" → URL
};

// Reads one override, "[STATEFULSET/]ORDINAL=URL", into `into`.
Status ParseNodeUrl(const std::string& text, std::map<std::string, std::string>& into);

// The default template for a cluster reached at `cluster_url` ("https://x:15671" gives
// https://{pod}.{service}.{namespace}.svc:15671).
std::string DefaultUrlTemplate(const std::string& cluster_url);

std::string NodeUrl(const NodeAddressOptions& o, const std::string& ns, const std::string& statefulset,
                    const std::string& service, int ordinal);

}  // namespace warren::rollout
