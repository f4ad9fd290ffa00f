#include "agent/rollout/node_address.h"

namespace warren::rollout {
namespace {

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace

Status ParseNodeUrl(const std::string& text, std::map<std::string, std::string>& into) {
  size_t eq = text.find('=');
  std::string key = text.substr(0, eq);
  std::string ordinal = key.substr(key.find('/') == std::string::npos ? 0 : key.find('/') + 1);
  if (eq == std::string::npos || ordinal.empty() || ordinal.find_first_not_of("0123456789") != std::string::npos)
    return Status::Invalid("node URL \"" + text + "\": expected [STATEFULSET/]ORDINAL=URL");
  std::string url = text.substr(eq + 1);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return Status::Invalid("node URL \"" + text + "\": the URL must start with http:// or https://");
  into[key] = url;
  return Status::Ok();
}

std::string DefaultUrlTemplate(const std::string& cluster_url) {
  std::string scheme = cluster_url.rfind("https://", 0) == 0 ? "https" : "http";
  std::string port = scheme == "https" ? "15671" : "15672";
  std::string rest = cluster_url.substr(cluster_url.find("://") == std::string::npos ? 0 : cluster_url.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) port = rest.substr(colon + 1);
  return scheme + "://{pod}.{service}.{namespace}.svc:" + port;
}

std::string NodeUrl(const NodeAddressOptions& o, const std::string& ns, const std::string& statefulset,
                    const std::string& service, int ordinal) {
  std::string n = std::to_string(ordinal);
  if (auto it = o.overrides.find(statefulset + "/" + n); it != o.overrides.end()) return it->second;
  if (auto it = o.overrides.find(n); it != o.overrides.end()) return it->second;
  std::string url = o.url_template.empty() ? DefaultUrlTemplate(o.cluster_url) : o.url_template;
  ReplaceAll(url, "{pod}", statefulset + "-" + n);
  ReplaceAll(url, "{ordinal}", n);
  ReplaceAll(url, "{service}", service.empty() ? statefulset : service);
  ReplaceAll(url, "{namespace}", ns);
  return url;
}

}  // namespace warren::rollout
