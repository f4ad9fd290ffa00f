// The health lane of a SourceLoop (see source_loop.h): RabbitMQ health and mirror status, probed
// on the health interval with deadlines shorter than it.
#include <algorithm>
#include "agent/rabbitmq/cluster_probe.h"

#include "agent/run/source_loop.h"

namespace warren::run {

void SourceLoop::HealthLane(const StopToken& stop) {
  // One client for the term: after a node hangs, it keeps asking the node that answered.
  std::unique_ptr<rabbitmq::ManagementApi> client;
  auto next = clock_.Now();
  while (!stop.stop_requested()) {
    ProbeHealth(client, stop);
    next += ctx_.agent->health_interval;  // a fixed rate: a slow probe does not push the next one back
    auto now = clock_.Now();
    if (next < now) next = now;
    if (!clock_.SleepFor(std::chrono::duration_cast<std::chrono::milliseconds>(next - now), stop)) break;
  }
}

void SourceLoop::ProbeHealth(std::unique_ptr<rabbitmq::ManagementApi>& client, const StopToken& stop) {
  Labels l = {{"source", spec_.name}};
  const std::string commit = AppliedCommit();
  // Each request ends within half an interval (and the target's own timeout): a node that
  // accepts connections and never answers is found out in time for the next verdict.
  auto deadline =
      std::min(spec_.rabbit->timeout, std::max(std::chrono::milliseconds(500), ctx_.agent->health_interval / 2));
  Status connected;
  if (!client) {
    auto c = ConnectRabbit(deadline, stop);
    if (c.ok())
      client = std::move(c).value();
    else
      connected = c.status();
  }
  DesiredPtr desired = Published();
  Result<rabbit::HealthInputs> inputs =
      client ? rabbitmq::ProbeCluster(*client, desired ? reconcile::RabbitReplicas(desired->manifests.objects) : 0)
             : Result<rabbit::HealthInputs>(connected);
  if (!inputs.ok()) {
    if (inputs.status().code() == StatusCode::kCancelled) return;
    ctx_.metrics->Set("warren_rabbitmq_healthy", l, 0);
    ctx_.metrics->Clear("warren_rabbitmq_node_reachable", l);  // unknown now: no stale 1s
    ReportStatus(commit, "warren/health", forge::State::kError, "RabbitMQ unreachable: " + inputs.status().message());
    LogHealthUnknown(inputs.status());
    return;
  }
  for (const rabbit::HealthCheckResult& c : inputs.value().checks)
    ctx_.metrics->Set("warren_rabbitmq_node_reachable", {{"source", spec_.name}, {"node", c.node}},
                      c.reachable ? 1 : 0);
  rabbit::ClusterHealth h = rabbit::AssessHealth(inputs.value());
  int mirrored_ok = 0, quorum_ok = 0;
  for (const auto& m : h.mirrored) mirrored_ok += m.healthy;
  for (const auto& q : h.quorum) quorum_ok += q.healthy;
  ctx_.metrics->Set("warren_rabbitmq_nodes_running", l, h.running_nodes);
  ctx_.metrics->Set("warren_rabbitmq_nodes_expected", l, h.expected_nodes);
  ctx_.metrics->Set("warren_rabbitmq_mirrored_queues_synchronised", l, mirrored_ok);
  ctx_.metrics->Set("warren_rabbitmq_mirrored_queues", l, static_cast<double>(h.mirrored.size()));
  ctx_.metrics->Set("warren_rabbitmq_quorum_queues_online", l, quorum_ok);
  ctx_.metrics->Set("warren_rabbitmq_quorum_queues", l, static_cast<double>(h.quorum.size()));
  ctx_.metrics->Set("warren_rabbitmq_healthy", l, h.healthy() ? 1 : 0);
  ReportStatus(commit, "warren/health", h.healthy() ? forge::State::kSuccess : forge::State::kFailure,
               rabbit::HealthDescription(h));
  rabbit::MirrorsVerdict mirrors = rabbit::JudgeMirrors(h);
  ReportStatus(commit, "warren/mirrors", mirrors.ok ? forge::State::kSuccess : forge::State::kFailure,
               mirrors.description);
  LogHealth(h);
}

namespace {

std::string Elapsed(std::chrono::steady_clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

}  // namespace

// Said when it begins, when it changes and every few minutes while it lasts; never per tick.
void SourceLoop::LogHealthUnknown(const Status& error) {
  auto now = clock_.Now();
  if (health_log_.Clear("degraded")) health_causes_.clear();
  Json fields = {{"source", spec_.name}, {"error", error.message()}};
  switch (health_log_.Observe("unknown", "", now)) {
    case StateLog::Say::kQuiet:
      ctx_.log->Debug("RabbitMQ health unknown", fields);
      return;
    case StateLog::Say::kReminder:
      fields["for"] = Elapsed(now - health_log_.Since("unknown", now));
      ctx_.log->Warn("RabbitMQ health still unknown", fields);
      return;
    default:
      ctx_.log->Warn("RabbitMQ health unknown", fields);
  }
}

void SourceLoop::LogHealth(const rabbit::ClusterHealth& h) {
  auto now = clock_.Now();
  Json fields = {{"source", spec_.name}, {"summary", rabbit::HealthSummary(h)}};
  bool was_unknown = health_log_.Clear("unknown");
  if (h.healthy()) {
    auto since = health_log_.Since("degraded", now);
    if (health_log_.Clear("degraded")) {
      fields["after"] = Elapsed(now - since);
      ctx_.log->Info("RabbitMQ recovered", fields);
    } else if (was_unknown) {
      ctx_.log->Info("RabbitMQ reachable again", fields);
    } else {
      ctx_.log->Debug("RabbitMQ healthy", fields);
    }
    health_causes_.clear();
    health_problems_.clear();
    return;
  }
  std::string state;
  for (const std::string& c : h.causes) state += c + "\n";
  StateLog::Say say = health_log_.Observe("degraded", state, now);
  if (say == StateLog::Say::kChanged) {  // which problems appeared, which cleared
    Json appeared = Json::array(), cleared = Json::array();
    for (size_t i = 0; i < h.causes.size(); ++i)
      if (std::find(health_causes_.begin(), health_causes_.end(), h.causes[i]) == health_causes_.end())
        appeared.push_back(h.problems[i]);
    for (size_t i = 0; i < health_causes_.size(); ++i)
      if (std::find(h.causes.begin(), h.causes.end(), health_causes_[i]) == h.causes.end())
        cleared.push_back(health_problems_[i]);
    if (!appeared.empty()) fields["appeared"] = appeared;
    if (!cleared.empty()) fields["cleared"] = cleared;
  }
  health_causes_ = h.causes;
  health_problems_ = h.problems;
  if (say == StateLog::Say::kQuiet) {
    ctx_.log->Debug("RabbitMQ degraded", fields);
    return;
  }
  fields["problems"] = h.problems;  // one line per cause: bounded whatever the queue count
  if (say == StateLog::Say::kReminder) fields["for"] = Elapsed(now - health_log_.Since("degraded", now));
  ctx_.log->Warn(say == StateLog::Say::kNew       ? "RabbitMQ degraded"
                 : say == StateLog::Say::kChanged ? "RabbitMQ problems changed"
                                                  : "RabbitMQ still degraded",
                 fields);
}

}  // namespace warren::run
