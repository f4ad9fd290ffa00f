// The Kubernetes API as the agent's logic uses it: the seam between that logic and the HTTP
// client. KubeClient (client.h) is the real one; tests/support/fake_kube.h keeps objects in memory
// with resourceVersions and the API server's conflict rules, so leader election, retries and
// ordering are tested in milliseconds.
//
// Errors are Status values as the real client gives them: a stale resourceVersion or an object
// that already exists is kConflict, a missing one on update kNotFound.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/util/cancel.h"
#include "diff/model/object.h"
#include "diff/model/status.h"

namespace warren::kube {

struct ResourceInfo {
  std::string group, version, resource, kind;
  bool namespaced = true;
  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string Qualified() const { return group.empty() ? resource : resource + "." + group; }  // statefulsets.apps
};

struct ApplyOptions {
  bool force = false;
  bool dry_run = false;
};

struct WatchRequest {
  std::string ns, label_selector, resource_version;
  int timeout_seconds = 300;
  // Around each (re)list: on_relist before its ADDED events (what was known may be gone), on_synced
  // after them (the caller's copy is complete again).
  std::function<void()> on_relist, on_synced;
};

class Api {
 public:
  virtual ~Api() = default;
  // The resource serving `kind` in the group of `api_version`.
  virtual Result<ResourceInfo> Resolve(const std::string& api_version, const std::string& kind) = 0;
  // nullopt when there is no such object.
  virtual Result<std::optional<Json>> Get(const ResourceInfo& r, const std::string& ns, const std::string& name) = 0;
  virtual Result<std::vector<Json>> List(const ResourceInfo& r, const std::string& ns,
                                         const std::string& label_selector = "") = 0;
  // Server-side apply as field manager warren: the server's object back.
  virtual Result<Json> Apply(const Json& obj, const ApplyOptions& options) = 0;
  // Create: an existing object is kConflict. Update: the object's resourceVersion is the
  // precondition, a stale one is kConflict.
  virtual Result<Json> Create(const ResourceInfo& r, const std::string& ns, const Json& obj) = 0;
  virtual Result<Json> Update(const ResourceInfo& r, const std::string& ns, const Json& obj) = 0;
  virtual Status Delete(const ResourceInfo& r, const std::string& ns, const std::string& name,
                        const std::string& propagation = "Background", const std::string& uid_precondition = "") = 0;
  // PATCH with a JSON Patch (RFC 6902) as field manager warren: the object back.
  virtual Result<Json> JsonPatch(const ResourceInfo& r, const std::string& ns, const std::string& name, const Json& ops,
                                 bool dry_run = false) = 0;
  // Replaces the object's status through its status subresource (a merge patch as field manager
  // warren): the object back. Spec and metadata are left as they are.
  virtual Result<Json> PatchStatus(const ResourceInfo& r, const std::string& ns, const std::string& name,
                                   const Json& status) = 0;
  // Lists (when request.resource_version is empty) and streams events (type, object) until
  // `on_event` returns false or request.timeout_seconds pass; relists after 410 Expired. Ok when
  // the watch simply ended; request.resource_version is where to resume.
  virtual Status Watch(const ResourceInfo& r, WatchRequest& request,
                       const std::function<bool(const std::string&, const Json&)>& on_event) = 0;

  // The same API (connections, credentials, discovery), its requests stopped by `stop`.
  virtual std::unique_ptr<Api> Stoppable(StopToken stop) const = 0;
  virtual std::string Server() const = 0;            // where it is, for messages
  virtual std::string DefaultNamespace() const = 0;  // for objects that name none
};

}  // namespace warren::kube
