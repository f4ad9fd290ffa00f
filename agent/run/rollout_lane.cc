// The rollout lane of a SourceLoop (see source_loop.h): broker-aware rollouts of the RabbitMQ
// StatefulSets of the commit last applied (diff/rollout/rollout.h), one step at a time. It moves
// on within a second while pods restart and rejoin, re-asks a failing gate on the health
// interval (it continues when the gate passes: a halt is reported, never final), and writes
// under the lanes' write lock, so drift correction of everything else never waits for it.
#include "agent/rabbitmq/connect.h"
#include "agent/reconcile/kube_stage.h"
#include "agent/rollout/driver.h"
#include "agent/run/source_loop.h"
#include "diff/rollout/rollout.h"

namespace warren::run {

void SourceLoop::RolloutLane(const StopToken& stop) {
  std::map<ResourceKey, std::unique_ptr<rollout::Driver>> drivers;  // their wait clocks outlive a tick
  std::map<ResourceKey, std::string> reported;                      // the last summary each said
  DesiredPtr last;
  std::unique_ptr<kube::Api> kube = ctx_.kube->Stoppable(stop);  // the drivers' for the term
  while (!stop.stop_requested()) {
    DesiredPtr desired = Published();
    if (desired != last) drivers.clear();  // a new commit: its rollouts start their waits anew
    last = desired;
    bool moving = false;
    for (const Object& obj : desired ? desired->manifests.objects : std::vector<Object>{}) {
      if (!rollout::BrokerAware(obj)) continue;
      Object sts = reconcile::Owned(obj, spec_.name);
      if (sts.ns().empty()) sts.mutable_doc()["metadata"]["namespace"] = objects_ns_;
      auto& driver = drivers[sts.key()];
      if (!driver) {
        rollout::DriverOptions o;
        o.clock = ctx_.clock;
        o.timeout = ctx_.agent->timeout;
        o.write_lock = &kube_writes_;
        o.dry_run = WritesNothing();
        const RabbitTarget& r = *spec_.rabbit;
        rabbitmq::ConnectOptions cluster = RabbitConnect(spec_.rabbit->timeout, stop);
        Status s = rollout::ConnectNodesLike(cluster, r.pod_url_template, r.node_urls, o);
        if (!s.ok()) {
          ctx_.log->Error("rollout: node URLs unusable", {{"source", spec_.name}, {"error", s.message()}});
          continue;
        }
        if (ctx_.connect_rabbit)
          o.connect_node = [this, cluster](const std::string& url) {
            rabbitmq::ConnectOptions one = cluster;
            one.urls = {url};
            return ctx_.connect_rabbit(one);
          };
        driver = std::make_unique<rollout::Driver>(*kube, o);
      }
      auto p = driver->Advance(sts, stop);
      if (!p.ok()) {
        if (p.status().code() == StatusCode::kCancelled) return;
        ctx_.log->Warn(
            "rollout step failed",
            {{"source", spec_.name}, {"statefulset", sts.key().ToString()}, {"error", p.status().message()}});
        continue;
      }
      AccountRollout(sts, desired->commit, p.value(), reported[sts.key()]);
      moving = moving || (p.value().rolling && !p.value().gate_failed);
    }
    // While pods restart, within a second; a gate that fails (or nothing to roll) on the health
    // interval; a newly applied commit at once.
    auto wait = moving ? std::chrono::milliseconds(1000) : ctx_.agent->health_interval;
    std::unique_lock<std::mutex> lock(mu_);
    clock_.WaitUntil(rollout_cv_, lock, clock_.Now() + wait,
                     [&] { return stop.stop_requested() || published_ != last; });
  }
}

void SourceLoop::AccountRollout(const Object& sts, const std::string& commit, const rollout::Progress& p,
                                std::string& last_summary) {
  Labels l = {{"source", spec_.name}, {"statefulset", sts.ns() + "/" + sts.name()}};
  ctx_.metrics->Set("warren_rollout_pods_updated", l, p.updated);
  ctx_.metrics->Set("warren_rollout_pods", l, p.replicas);
  ctx_.metrics->Set("warren_rollout_halted", l, p.halted ? 1 : 0);
  ctx_.metrics->Set("warren_rollout_blocked_seconds", l, p.gate_failed ? p.waiting_seconds : 0);
  if (!p.action.empty()) ctx_.metrics->Inc("warren_rollout_steps_total", l);
  std::string summary = p.Summary();
  if (summary == last_summary && p.action.empty()) return;
  const bool was_rolling = !last_summary.empty() && last_summary.find("no rollout") == std::string::npos &&
                           last_summary.find("rolled out") == std::string::npos;
  last_summary = summary;
  if (!p.rolling && !was_rolling && p.step == rollout::StepKind::kIdle) return;  // nothing to say
  Json fields = {{"source", spec_.name}, {"statefulset", p.statefulset}, {"step", rollout::StepName(p.step)}};
  if (!p.action.empty()) fields["action"] = p.action;
  if (!p.waiting_for.empty()) fields["waiting_for"] = p.waiting_for;
  if (p.halted)
    ctx_.log->Warn("rollout halted", fields);
  else
    ctx_.log->Info("rollout", fields);
  for (const std::string& n : p.notes) ctx_.log->Warn("rollout note", {{"statefulset", p.statefulset}, {"note", n}});
  // Events on the StatefulSet: each step taken, a halt, the end.
  std::string reason = p.halted            ? "RolloutHalted"
                       : !p.rolling        ? "RolloutComplete"
                       : !p.action.empty() ? "RolloutStep"
                                           : "";
  // The Event goes first, so whoever sees the commit status finds the Event already there.
  if (!reason.empty() && !WritesNothing() && ctx_.kube) {
    auto events_client = ctx_.kube->Stoppable(StopToken());
    EventSpec e{sts.api_version(),
                sts.kind(),
                sts.ns(),
                sts.name(),
                p.halted ? "Warning" : "Normal",
                reason,
                p.action.empty() ? summary : p.action};
    Status s = ctx_.events->Record(*events_client, e);
    if (!s.ok()) ctx_.log->Warn("event not recorded", {{"source", spec_.name}, {"error", s.message()}});
  }
  forge::State state = p.halted ? forge::State::kFailure : p.rolling ? forge::State::kPending : forge::State::kSuccess;
  // On the commit whose template is rolling out: applied, though perhaps not finished (its
  // RabbitMQ stage may wait for the very node the rollout waits for).
  ReportStatus(commit, "warren/rollout", state, p.StatusLine());
}

}  // namespace warren::run
