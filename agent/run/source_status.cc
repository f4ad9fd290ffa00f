#include "agent/run/source_status.h"

#include <algorithm>

namespace warren::run {
namespace {

std::string Short(const std::string& sha) { return sha.substr(0, 12); }

}  // namespace

void SetCondition(Json& status, const std::string& type, const std::string& value, const std::string& reason,
                  const std::string& message, long long generation, const std::string& now) {
  if (!status.is_object()) status = Json::object();
  Json conditions = status.value("conditions", Json::array());
  if (!conditions.is_array()) conditions = Json::array();
  Json kept = Json::array();
  std::string since = now;
  for (const Json& c : conditions) {
    if (!c.is_object() || c.value("type", "") != type) {
      kept.push_back(c);
      continue;
    }
    if (c.value("status", "") == value) since = c.value("lastTransitionTime", now);
  }
  if (!value.empty())
    kept.push_back({{"type", type},
                    {"status", value},
                    {"observedGeneration", generation},
                    {"lastTransitionTime", since},
                    {"reason", reason},
                    {"message", message}});
  // Ready first, as kubectl describe and `flux get` readers expect it.
  std::stable_sort(kept.begin(), kept.end(), [](const Json& a, const Json& b) {
    return (a.value("type", "") == "Ready") > (b.value("type", "") == "Ready");
  });
  status["conditions"] = kept;
}

Json NextSourceStatus(Json status, const StatusReport& r, long long generation, bool suspended,
                      const std::string& now) {
  if (!status.is_object()) status = Json::object();
  status["observedGeneration"] = generation;
  using forge::State;
  if (r.context == "warren/health") {
    status["rabbitmq"]["health"] = r.description;
    return status;
  }
  if (r.context == "warren/mirrors") {
    status["rabbitmq"]["mirrors"] = r.description;
    return status;
  }
  if (r.context == "warren/rollout") {
    status["rollout"]["message"] = r.description;
    return status;
  }
  if (suspended) return status;        // a dry run's findings are no verdict on the source
  if (r.context == "warren/source") {  // nothing could be read: no commit to name
    SetCondition(status, "Ready", "False", "SourceFailed", r.description, generation, now);
    SetCondition(status, "Reconciling", "", "", "", generation, now);
    return status;
  }
  if (r.context != "warren/sync") return status;
  status["lastAttemptedRevision"] = r.sha;
  switch (r.state) {
    case State::kPending: {
      // Ready keeps its verdict while a commit is applied (a new generation already made it
      // Unknown, StartedSourceStatus): `kubectl wait` on a source that was Ready does not flap.
      SetCondition(status, "Reconciling", "True", "Progressing", "applying " + Short(r.sha), generation, now);
      bool has_ready = false;
      for (const Json& c : status["conditions"]) has_ready = has_ready || c.value("type", "") == "Ready";
      if (!has_ready)
        SetCondition(status, "Ready", "Unknown", "Progressing", "applying " + Short(r.sha), generation, now);
      break;
    }
    case State::kSuccess:
      status["lastAppliedRevision"] = r.sha;
      SetCondition(status, "Ready", "True", "ReconciliationSucceeded", "applied " + Short(r.sha) + ": " + r.description,
                   generation, now);
      SetCondition(status, "Reconciling", "", "", "", generation, now);
      SetCondition(status, "Stalled", "", "", "", generation, now);
      break;
    case State::kError:
      SetCondition(status, "Ready", "False", "ReconciliationFailed", r.description, generation, now);
      SetCondition(status, "Reconciling", "", "", "", generation, now);
      SetCondition(status, "Stalled", "", "", "", generation, now);
      break;
    case State::kFailure: {
      const bool needs_action = r.description.find(" action: ") != std::string::npos;
      SetCondition(status, "Ready", "False", needs_action ? "NeedsAction" : "ApplyFailed", r.description, generation,
                   now);
      SetCondition(status, "Reconciling", "", "", "", generation, now);
      if (needs_action)
        SetCondition(status, "Stalled", "True", "NeedsAction", r.description, generation, now);
      else
        SetCondition(status, "Stalled", "", "", "", generation, now);
      break;
    }
  }
  return status;
}

Json StartedSourceStatus(Json status, long long generation, bool suspended, const std::string& now) {
  if (!status.is_object()) status = Json::object();
  // The same generation again (the agent restarted): its verdict stands until the loop says more.
  const bool same = status.value("observedGeneration", -1LL) == generation;
  status["observedGeneration"] = generation;
  SetCondition(status, "Stalled", "", "", "", generation, now);
  if (suspended) {
    SetCondition(status, "Reconciling", "", "", "", generation, now);
    return status;
  }
  SetCondition(status, "Reconciling", "True", "Progressing", "reconciliation in progress", generation, now);
  if (!same) SetCondition(status, "Ready", "Unknown", "Progressing", "reconciliation in progress", generation, now);
  return status;
}

Json InvalidSourceStatus(Json status, long long generation, const std::string& reason, const std::string& message,
                         const std::string& now) {
  if (!status.is_object()) status = Json::object();
  status["observedGeneration"] = generation;
  SetCondition(status, "Ready", "False", reason, message, generation, now);
  SetCondition(status, "Stalled", "True", reason, message, generation, now);
  SetCondition(status, "Reconciling", "", "", "", generation, now);
  return status;
}

}  // namespace warren::run
