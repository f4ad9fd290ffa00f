// A Kubernetes API client that behaves like a careful kubectl/client-go: discovery of kinds to
// resources (cached, refreshed when a kind is not found), get, paged list, create, update,
// server-side apply, delete, watch (resume, bookmarks, label selectors, relist after 410) and
// SelfSubjectAccessReview. Every request has a timeout and reuses a pooled connection; 429 honours
// Retry-After, 5xx and connection failures are retried with backoff and jitter, a 401 re-reads the
// credentials once. Errors are Status values built from the server's Status body.
//
// Threads: a KubeClient may be used from several threads at once. Requests take a connection from
// a pool (one per request in flight), discovery and credentials are guarded. WithStop() gives a
// view that shares all of that but stops on another token: the agent's watches stop at shutdown,
// a leadership term's writes stop when the Lease is lost.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/kube/api.h"
#include "agent/kube/credentials.h"
#include "agent/kube/kubeconfig.h"
#include "agent/net/http_client.h"

namespace warren::kube {

struct ClientOptions {
  StopToken stop;                // aborts requests and retry waits: kCancelled
  const Clock* clock = nullptr;  // retry waits (default: the real clock)
  long timeout_ms = 15000;
  int retries = 4;
  long backoff_ms = 200;
  long max_retry_after_ms = 10000;
  std::string field_manager = "warren";
  // Kubernetes impersonation: every request is made as this user ("" = as the credentials), e.g.
  // "system:serviceaccount:dev:app", so the API server's RBAC for that user bounds it. The
  // credentials' own user needs the impersonate verb on it. The server gives a service account
  // its groups (system:serviceaccounts, system:serviceaccounts:<ns>) itself.
  std::string impersonate_user;
};

// What to watch and how: a namespace ("" = all), a label selector, where to resume, how long.
class KubeClient : public Api {
 public:
  static Result<std::unique_ptr<KubeClient>> Create(ClusterConfig config, ClientOptions options = {});
  // The same cluster, connections, credentials and discovery cache, stopped by `stop`.
  std::unique_ptr<KubeClient> WithStop(StopToken stop) const;
  std::unique_ptr<Api> Stoppable(StopToken stop) const override { return WithStop(std::move(stop)); }
  // The same cluster, connections, credentials and discovery cache, each request impersonating
  // `user` (ClientOptions::impersonate_user); "" makes requests as the credentials' own user.
  std::unique_ptr<KubeClient> Impersonating(const std::string& user) const;
  std::string Server() const override { return config().server; }
  std::string DefaultNamespace() const override { return config().namespace_; }

  const ClusterConfig& config() const;
  size_t requests_sent() const;

  // The resource serving `kind` in the group of `api_version`. A version the cluster no longer
  // serves is an error naming the one it does (apps/v1beta1 → "the cluster serves apps/v1").
  Result<ResourceInfo> Resolve(const std::string& api_version, const std::string& kind) override;

  Result<std::optional<Json>> Get(const ResourceInfo& r, const std::string& ns, const std::string& name) override;
  // All pages (limit 500, continue); items get their apiVersion and kind back.
  Result<std::vector<Json>> List(const ResourceInfo& r, const std::string& ns,
                                 const std::string& label_selector = "") override;
  // PATCH application/apply-patch+yaml with fieldManager; 201/200 → the server's object.
  Result<Json> Apply(const Json& obj, const ApplyOptions& options) override;
  // POST (409 AlreadyExists is kConflict) and PUT (the object's resourceVersion is the
  // precondition: a stale one is kConflict). The server's object back.
  Result<Json> Create(const ResourceInfo& r, const std::string& ns, const Json& obj) override;
  Result<Json> Update(const ResourceInfo& r, const std::string& ns, const Json& obj) override;
  // PATCH with a JSON Patch (RFC 6902) as field manager warren: the object back.
  Result<Json> JsonPatch(const ResourceInfo& r, const std::string& ns, const std::string& name, const Json& ops,
                         bool dry_run = false) override;
  Status Delete(const ResourceInfo& r, const std::string& ns, const std::string& name,
                const std::string& propagation = "Background", const std::string& uid_precondition = "") override;
  Result<Json> PatchStatus(const ResourceInfo& r, const std::string& ns, const std::string& name,
                           const Json& status) override;
  // SelfSubjectAccessReview: may this client do `verb` on `resource`?
  Result<bool> CanI(const std::string& verb, const std::string& group, const std::string& resource,
                    const std::string& ns, const std::string& name = "");
  // Streams events (type, object) from `resource_version` ("" = current state first) until
  // `on_event` returns false or `timeout_seconds` pass. BOOKMARKs advance the resume point and are
  // not passed on. On 410 Expired it relists and continues from the new list (ADDED for each).
  Status Watch(const ResourceInfo& r, const std::string& ns, std::string resource_version, int timeout_seconds,
               const std::function<bool(const std::string& type, const Json& object)>& on_event);
  // The same with a label selector and list callbacks. Ends when on_event returns false, the
  // timeout passes (Ok), or the stop token fires (kCancelled). request.resource_version is kept
  // current, so calling again with the same request resumes where this one ended.
  Status Watch(const ResourceInfo& r, WatchRequest& request,
               const std::function<bool(const std::string& type, const Json& object)>& on_event) override;

  std::string Path(const ResourceInfo& r, const std::string& ns, const std::string& name = "") const;

  struct Shared;  // what views of one client share: configuration, credentials, pool, discovery

 private:
  KubeClient(std::shared_ptr<Shared> shared, ClientOptions options);
  Status Discover(bool force);
  // LIST with the collection's resourceVersion (of the first page) when asked for.
  Result<std::vector<Json>> ListAt(const ResourceInfo& r, const std::string& ns, const std::string& label_selector,
                                   std::string* resource_version);
  net::HttpRequest Request(const std::string& method, const std::string& path, const std::string& body,
                           const Credential& cred) const;
  Result<net::HttpResponse> Call(const std::string& method, const std::string& path, const std::string& body = "",
                                 const std::string& content_type = "");
  Result<Json> Write(const std::string& method, const std::string& path, const Json& obj);
  Status Sleep(long ms) const;

  std::shared_ptr<Shared> shared_;
  ClientOptions options_;
};

// The Status for a non-2xx answer: the StatusCode from the HTTP code (403 kForbidden, 409
// kConflict, 410 kExpired, 422 kInvalidArgument, ...), the message "<code> <reason>: <message>"
// plus each cause ("conflict with \"kubectl\" using apps/v1: .spec.replicas"). Exposed for tests.
Status ErrorFromResponse(long code, const std::string& body);

}  // namespace warren::kube
