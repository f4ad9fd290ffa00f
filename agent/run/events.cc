#include "agent/run/events.h"

#include <chrono>
#include <cstdio>

namespace warren::run {

Status EventRecorder::Record(kube::Api& client, const EventSpec& e) const {
  WARREN_ASSIGN_OR_RETURN(auto r, client.Resolve("v1", "Event"));
  std::string ns = e.ns.empty() ? "default" : e.ns;  // Events about cluster-scoped objects live in default
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%llx", static_cast<unsigned long long>(nanos));
  std::string micro = clock_.WallTimeMicros();
  std::string seconds = micro.substr(0, 19) + "Z";
  std::string message = e.message.size() > 1024 ? e.message.substr(0, 1021) + "..." : e.message;
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", e.name + suffix}, {"namespace", ns}}},
                {"involvedObject", {{"apiVersion", e.api_version}, {"kind", e.kind}, {"name", e.name}}},
                {"reason", e.reason},
                {"message", message},
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

}  // namespace warren::run
