// A Kubernetes API client that behaves like a careful kubectl/client-go: discovery of kinds to
// resources (cached), get, paged list, server-side apply, delete, watch (resume, bookmarks, relist
// after 410) and SelfSubjectAccessReview. Every request has a timeout and reuses the connection;
// 429 honours Retry-After, 5xx and connection failures are retried with backoff and jitter, a 401
// re-reads the credentials once. Errors are Status values built from the server's Status body.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/kube/credentials.h"
#include "agent/kube/kubeconfig.h"
#include "agent/net/http_client.h"

namespace warren::kube {

struct ResourceInfo {
  std::string group, version, resource, kind;
  bool namespaced = true;
  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string Qualified() const { return group.empty() ? resource : resource + "." + group; }  // statefulsets.apps
};

struct ClientOptions {
  long timeout_ms = 15000;
  int retries = 4;
  long backoff_ms = 200;
  long max_retry_after_ms = 10000;
  std::string field_manager = "warren";
};

struct ApplyOptions {
  bool force = false;
  bool dry_run = false;
};

class KubeClient {
 public:
  static Result<std::unique_ptr<KubeClient>> Create(ClusterConfig config, ClientOptions options = {});

  const ClusterConfig& config() const { return config_; }
  size_t requests_sent() const { return requests_; }

  // The resource serving `kind` in the group of `api_version`. A version the cluster no longer
  // serves is an error naming the one it does (apps/v1beta1 → "the cluster serves apps/v1").
  Result<ResourceInfo> Resolve(const std::string& api_version, const std::string& kind);

  Result<std::optional<Json>> Get(const ResourceInfo& r, const std::string& ns, const std::string& name);
  // All pages (limit 500, continue); items get their apiVersion and kind back.
  Result<std::vector<Json>> List(const ResourceInfo& r, const std::string& ns, const std::string& label_selector = "");
  // PATCH application/apply-patch+yaml with fieldManager; 201/200 → the server's object.
  Result<Json> Apply(const Json& obj, const ApplyOptions& options);
  Status Delete(const ResourceInfo& r, const std::string& ns, const std::string& name,
                const std::string& propagation = "Background", const std::string& uid_precondition = "");
  // SelfSubjectAccessReview: may this client do `verb` on `resource`?
  Result<bool> CanI(const std::string& verb, const std::string& group, const std::string& resource,
                    const std::string& ns, const std::string& name = "");
  // Streams events (type, object) from `resource_version` ("" = current state first) until
  // `on_event` returns false or `timeout_seconds` pass. BOOKMARKs advance the resume point and are
  // not passed on. On 410 Expired it relists and continues from the new list (ADDED for each).
  Status Watch(const ResourceInfo& r, const std::string& ns, std::string resource_version, int timeout_seconds,
               const std::function<bool(const std::string& type, const Json& object)>& on_event);

  std::string Path(const ResourceInfo& r, const std::string& ns, const std::string& name = "") const;

 private:
  KubeClient(ClusterConfig config, ClientOptions options);
  Status Discover();
  // LIST with the collection's resourceVersion (of the first page) when asked for.
  Result<std::vector<Json>> ListAt(const ResourceInfo& r, const std::string& ns, const std::string& label_selector,
                                   std::string* resource_version);
  // The connection for these credentials, and a request carrying them.
  net::HttpClient& Http(const Credential& cred);
  net::HttpRequest Request(const std::string& method, const std::string& path, const std::string& body,
                           const Credential& cred) const;
  Result<net::HttpResponse> Call(const std::string& method, const std::string& path, const std::string& body = "",
                                 const std::string& content_type = "");

  ClusterConfig config_;
  ClientOptions options_;
  CredentialSource credentials_;
  std::unique_ptr<net::HttpClient> http_;
  std::string http_cert_;  // the client certificate http_ was built with (exec plugins may rotate it)
  bool discovered_ = false;
  std::map<std::pair<std::string, std::string>, ResourceInfo> kinds_;  // (group, kind)
  size_t requests_ = 0;
};

// The Status for a non-2xx answer: the StatusCode from the HTTP code (403 kForbidden, 409
// kConflict, 410 kExpired, 422 kInvalidArgument, ...), the message "<code> <reason>: <message>"
// plus each cause ("conflict with \"kubectl\" using apps/v1: .spec.replicas"). Exposed for tests.
Status ErrorFromResponse(long code, const std::string& body);

}  // namespace warren::kube
