#include "agent/run/events.h"

#include <chrono>
#include <cstdio>

namespace warren::run {
namespace {

std::string Clip(const std::string& message) {
  return message.size() > 1024 ? message.substr(0, 1021) + "..." : message;  // the API server's limit
}

EventIdentity IdentityOf(const EventSpec& e) {
  return {e.api_version + "/" + e.kind + "/" + e.ns + "/" + e.name, e.type, e.reason, e.message};
}

}  // namespace

Status EventRecorder::Create(kube::Api& client, const kube::ResourceInfo& r, const EventSpec& e,
                             const std::string& message, std::string* name) const {
  std::string ns = e.ns.empty() ? "default" : e.ns;  // Events about cluster-scoped objects live in default
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%llx", static_cast<unsigned long long>(nanos));
  std::string micro = clock_.WallTimeMicros();
  std::string seconds = micro.substr(0, 19) + "Z";
  *name = e.name + suffix;
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", *name}, {"namespace", ns}}},
                {"involvedObject", {{"apiVersion", e.api_version}, {"kind", e.kind}, {"name", e.name}}},
                {"reason", e.reason},
                {"message", Clip(message)},
                {"type", e.type},
                {"source", {{"component", component_}}},
                {"firstTimestamp", seconds},
                {"lastTimestamp", seconds},
                {"count", 1},
                {"eventTime", micro},
                {"action", e.reason},
                {"reportingComponent", component_},
                {"reportingInstance", instance_}};
  if (!e.ns.empty()) event["involvedObject"]["namespace"] = e.ns;
  auto created = client.Create(r, ns, event);
  return created.ok() ? Status::Ok()
                      : created.status().WithContext("record Event " + e.reason + " on " + e.kind + " " + e.name);
}

Status EventRecorder::Record(kube::Api& client, const EventSpec& e, bool* dropped) const {
  if (dropped) *dropped = false;
  WARREN_ASSIGN_OR_RETURN(auto r, client.Resolve("v1", "Event"));
  EventIdentity id = IdentityOf(e);
  EventDecision d;
  {
    std::lock_guard<std::mutex> lock(mu_);
    d = correlator_.Correlate(id, clock_.Now());
  }
  if (d.kind == EventDecision::kDrop) {
    if (dropped) *dropped = true;
    return Status::Ok();
  }
  if (d.kind == EventDecision::kUpdate) {
    std::string seconds = clock_.WallTimeMicros().substr(0, 19) + "Z";
    Json ops = Json::array({{{"op", "replace"}, {"path", "/count"}, {"value", d.count}},
                            {{"op", "replace"}, {"path", "/lastTimestamp"}, {"value", seconds}},
                            {{"op", "replace"}, {"path", "/message"}, {"value", Clip(d.message)}}});
    auto patched = client.JsonPatch(r, e.ns.empty() ? "default" : e.ns, d.name, ops);
    if (patched.ok()) return Status::Ok();
    if (patched.status().code() != StatusCode::kNotFound)
      return patched.status().WithContext("update Event " + e.reason + " on " + e.kind + " " + e.name);
    std::lock_guard<std::mutex> lock(mu_);
    correlator_.Forget(id, d.message);  // expired on the server: sent anew below
  }
  std::string name;
  Status s = Create(client, r, e, d.message, &name);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    correlator_.Created(id, d.message, name, clock_.Now());
  }
  return s;
}

}  // namespace warren::run
