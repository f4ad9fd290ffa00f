#include "agent/run/source_requests.h"

#include "agent/run/warren_source.h"

namespace warren::run {
namespace {

Result<kube::ResourceInfo> Resource(kube::Api& kube) {
  return kube.Resolve(kWarrenSourceApiVersion, kWarrenSourceKind);
}

Result<Json> Fetch(kube::Api& kube, const kube::ResourceInfo& r, const SourceRef& ref) {
  WARREN_ASSIGN_OR_RETURN(auto got, kube.Get(r, ref.ns, ref.name));
  if (!got) return Status::NotFound(ref.ToString() + " not found");
  return *got;
}

// A JSON pointer token: "~" and "/" escaped (RFC 6901).
std::string PointerToken(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

}  // namespace

Result<Json> SetSuspended(kube::Api& kube, const SourceRef& ref, bool suspend) {
  WARREN_ASSIGN_OR_RETURN(auto r, Resource(kube));
  WARREN_ASSIGN_OR_RETURN(auto obj, Fetch(kube, r, ref));
  Json ops = Json::array({{{"op", "add"}, {"path", "/spec/suspend"}, {"value", suspend}}});
  auto patched = kube.JsonPatch(r, ref.ns, ref.name, ops);
  if (!patched.ok()) return patched.status().WithContext((suspend ? "suspend " : "resume ") + ref.ToString());
  return patched;
}

Result<ReconcileAnswer> RequestReconcile(kube::Api& kube, const SourceRef& ref, const std::string& requested_at,
                                         std::chrono::milliseconds timeout, const Clock& clock, const StopToken& stop,
                                         std::chrono::milliseconds poll) {
  WARREN_ASSIGN_OR_RETURN(auto r, Resource(kube));
  WARREN_ASSIGN_OR_RETURN(auto obj, Fetch(kube, r, ref));
  if (obj.value("spec", Json::object()).value("suspend", false))
    return Status::Invalid(ref.ToString() + " is suspended: resume it first");
  const bool has_annotations = obj["metadata"].contains("annotations") && obj["metadata"]["annotations"].is_object();
  Json ops = has_annotations ? Json::array({{{"op", "add"},
                                             {"path", "/metadata/annotations/" + PointerToken(kReconcileRequestedAt)},
                                             {"value", requested_at}}})
                             : Json::array({{{"op", "add"},
                                             {"path", "/metadata/annotations"},
                                             {"value", {{kReconcileRequestedAt, requested_at}}}}});
  auto patched = kube.JsonPatch(r, ref.ns, ref.name, ops);
  if (!patched.ok()) return patched.status().WithContext("request a reconcile of " + ref.ToString());
  const auto deadline = clock.Now() + timeout;
  while (true) {
    WARREN_ASSIGN_OR_RETURN(obj, Fetch(kube, r, ref));
    const Json status = obj.value("status", Json::object());
    if (status.value("lastHandledReconcileAt", "") == requested_at) {
      ReconcileAnswer a;
      a.revision = status.value("lastAppliedRevision", "");
      for (const Json& c : status.value("conditions", Json::array()))
        if (c.value("type", "") == "Ready") {
          a.ready = c.value("status", "");
          a.reason = c.value("reason", "");
          a.message = c.value("message", "");
        }
      return a;
    }
    if (clock.Now() >= deadline)
      return Status::Unavailable(ref.ToString() + ": the agent has not handled the reconcile request in " +
                                 std::to_string(timeout.count() / 1000) +
                                 "s (is warren run --watch-sources "
                                 "running, and leading?)");
    if (!clock.SleepFor(poll, stop)) return Status::Cancelled(ref.ToString() + ": stopped while waiting");
  }
}

}  // namespace warren::run
