// The Kubernetes lane of a SourceLoop (see source_loop.h): drift of the source's Kubernetes
// objects, seen by the watch cache, put back at once.
#include <map>
#include <set>
#include <utility>

#include "agent/run/source_loop.h"
#include "agent/util/memory.h"

namespace warren::run {

using diff::Action;
using diff::Outcome;

std::string SourceLoop::WaitForKubeWork(Clock::TimePoint until, const StopToken& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  clock_.WaitUntil(kube_cv_, lock, until, [&] { return !kube_why_.empty() || stop.stop_requested(); });
  return std::exchange(kube_why_, "");
}

void SourceLoop::KubeLane(const StopToken& stop) {
  auto next_resync = clock_.Now() + spec_.interval;
  DesiredPtr corrected_for;  // refusals hold for one desired state: a new one may be accepted
  while (!stop.stop_requested()) {
    Clock::TimePoint until = next_resync;
    if (kube_retry_at_ != Clock::TimePoint{})
      until = std::min(until, kube_retry_at_);
    else
      for (const auto& [key, refusal] : refused_) until = std::min(until, refusal.retry_at);
    std::string why = WaitForKubeWork(until, stop);
    if (stop.stop_requested()) break;
    auto now = clock_.Now();
    if (now >= next_resync) {
      next_resync = now + spec_.interval;
      if (why.empty()) why = "resync";
    }
    if (now < kube_retry_at_) continue;  // backing off: the retry time wakes the lane
    CorrectKube(why.empty() ? "retry" : why, stop, &corrected_for);
  }
}

void SourceLoop::CorrectKube(const std::string& why, const StopToken& stop, DesiredPtr* corrected_for) {
  // The desired state is read under the write lock: the sync lane publishes a new commit only
  // while it holds it, so a correction never works from a commit about to be replaced.
  std::lock_guard<std::mutex> writes(kube_writes_);
  DesiredPtr desired = Published();
  if (!desired) return;  // the sync lane has not applied a commit yet
  if (desired != *corrected_for) {
    refused_.clear();
    *corrected_for = desired;
  }
  LoadedManifests objects;
  objects.objects = reconcile::KubernetesObjects(desired->manifests, spec_.rabbit.has_value());
  reconcile::Options o = ReconcileOptions();
  o.plan_only = true;
  o.prune = false;  // pruning is the sync lane's, after a new commit
  o.skip_rabbit = true;
  o.kube_write_lock = nullptr;  // held here
  reconcile::Targets t;
  t.kube = ctx_.kube;
  t.live = live_;
  reconcile::Report plan = reconcile::ReconcileOnce(objects, t, o, stop);
  ReturnFreeMemory();  // every object was planned: 1-15 ms to give that pass's pages back
  Status failed = plan.error;
  for (const auto& r : plan.applied.results)  // the live state could not be read
    if (failed.ok() && r.outcome == Outcome::kFailed) failed = Status::Unavailable(r.message);
  if (!failed.ok()) {
    if (stop.stop_requested()) return;
    ctx_.log->Warn("drift check failed", {{"source", spec_.name}, {"error", failed.message()}});
    KubeFail();
    return;
  }
  kube_retry_at_ = Clock::TimePoint{};
  kube_backoff_ = std::chrono::milliseconds(0);

  // What the cache says drifted, less the refused objects still waiting for their retry time and
  // those that needed action and still differ the same way (those no longer drifted, or drifted
  // differently, are forgotten).
  std::map<ResourceKey, const diff::ObjectDiff*> drifted;
  for (const auto& d : plan.plan.objects)
    if (d.action != Action::kUnchanged && d.action != Action::kExtra) drifted[d.key] = &d;
  auto now = clock_.Now();
  std::set<ResourceKey> waiting;
  for (auto it = refused_.begin(); it != refused_.end();) {
    auto d = drifted.find(it->first);
    bool changed = !it->second.needs_action.empty() && d != drifted.end() &&
                   diff::Fingerprint(*d->second) != it->second.needs_action;
    if (d == drifted.end() || changed) {
      it = refused_.erase(it);
      continue;
    }
    if (!it->second.needs_action.empty() || it->second.retry_at > now) waiting.insert(it->first);
    ++it;
  }
  LoadedManifests attempt;
  for (Object& obj : objects.objects)
    if (drifted.count(obj.key()) && !waiting.count(obj.key())) attempt.objects.push_back(std::move(obj));
  if (WritesNothing() || attempt.objects.empty()) {
    std::vector<std::string> names = RecordDrift(plan.plan, DriftScope::kKube);
    if (WritesNothing() && !names.empty())
      ctx_.log->Info("drift found (dry run: not corrected)", {{"source", spec_.name}, {"objects", names}});
    return;
  }

  // Corrected on a fresh read: the cache may not yet hold the sync lane's last writes, and an
  // object that only looked drifted is then left alone.
  auto start = clock_.Now();
  std::unique_ptr<kube::Api> kube = ctx_.kube->Stoppable(stop);
  t.kube = kube.get();
  t.live = nullptr;
  o.plan_only = false;
  o.wait_ready = false;        // put the spec back and go: the next drift is not queued behind pods
  o.continue_on_error = true;  // one refused object holds up no other
  o.partial = true;            // the drifted objects only: the others are no prune candidates
  reconcile::Report report = reconcile::ReconcileOnce(attempt, t, o, stop);
  if (stop.stop_requested()) return;
  std::map<ResourceKey, const diff::ObjectDiff*> fresh;
  for (const auto& d : report.plan.objects) fresh[d.key] = &d;
  diff::DiffReport confirmed;
  for (const auto& d : plan.plan.objects) confirmed.objects.push_back(fresh.count(d.key) ? *fresh[d.key] : d);
  std::vector<std::string> names = RecordDrift(confirmed, DriftScope::kKube);
  if (report.applied.results.empty() && report.error.ok()) {
    ctx_.log->Debug("drift gone on a fresh read", {{"source", spec_.name}, {"why", why}});
    return;
  }
  ctx_.log->Info("drift found",
                 {{"source", spec_.name}, {"objects", names.size()}, {"first", FirstNames(names)}, {"why", why}});
  std::string what = names.empty() ? why : FirstNames(names, 1);
  AccountCorrection(report, attempt.objects, "drift: " + what,
                    std::chrono::duration<double>(clock_.Now() - start).count());
}

void SourceLoop::AccountCorrection(const reconcile::Report& report, const std::vector<Object>& attempted,
                                   const std::string& why, double seconds) {
  std::set<ResourceKey> keys;
  for (const Object& o : attempted) keys.insert(o.key());
  bool object_failed = false, needs_action = false, stage_failed = !report.error.ok();
  for (const auto& r : report.applied.results) {
    if (!keys.count(r.object.key)) {  // the inventory or the live read: the whole lane backs off
      stage_failed |= r.outcome == Outcome::kFailed;
      continue;
    }
    if (r.outcome == Outcome::kNeedsAction) {  // not retried until it differs otherwise
      needs_action = true;
      Refusal& refusal = refused_[r.object.key];
      refusal.needs_action = diff::Fingerprint(r.object);
      refusal.retry_at = Clock::TimePoint::max();
      continue;
    }
    if (r.outcome != Outcome::kFailed) {
      refused_.erase(r.object.key);
      continue;
    }
    object_failed = true;
    Refusal& refusal = refused_[r.object.key];
    refusal.backoff = NextBackoff(refusal.backoff);
    refusal.retry_at = clock_.Now() + refusal.backoff;
  }
  const std::string result = stage_failed    ? "error"
                             : object_failed ? "failure"
                             : needs_action  ? "needs_action"
                                             : "success";
  ctx_.metrics->Inc("warren_reconcile_total", {{"source", spec_.name}, {"result", result}});
  ctx_.metrics->Observe("warren_reconcile_duration_seconds", {{"source", spec_.name}}, seconds);
  Outcomes outcomes = RecordResults(report, why, /*drift=*/true);
  Json fields = {{"source", spec_.name},
                 {"why", why},
                 {"result", result},
                 {"seconds", seconds},
                 {"corrected", outcomes.corrected}};
  if (stage_failed) KubeFail();
  std::vector<std::string> authors;
  for (const auto& r : report.applied.results)
    if (keys.count(r.object.key))
      if (std::string who = DriftAuthors(r.object); !who.empty())
        authors.push_back(r.object.DisplayName() + ": " + who);
  if (!authors.empty()) fields["changedBy"] = FirstNames(authors);
  if (result == "success") {
    ctx_.log->Info("drift corrected", fields);
    return;
  }
  if (result == "needs_action") {
    fields["error"] = outcomes.first_needs_action;
    ctx_.log->Error("drift correction needs action (not retried until the object or git changes)", fields);
    return;
  }
  fields["error"] = !report.error.ok() ? report.error.message() : outcomes.first_failure;
  ctx_.log->Error("drift correction failed", fields);
}

void SourceLoop::KubeFail() {
  kube_backoff_ = NextBackoff(kube_backoff_);
  kube_retry_at_ = clock_.Now() + kube_backoff_;
}

}  // namespace warren::run
