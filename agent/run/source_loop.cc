#include "agent/run/source_loop.h"

#include <thread>

#include "agent/forge/sync_status.h"
#include "agent/rabbitmq/cluster_probe.h"
#include "agent/rabbitmq/connect.h"
#include "agent/run/watch_cache.h"
#include "diff/engine/diff.h"

namespace warren::run {
namespace {

using diff::Action;
using diff::Outcome;

// Local paths have no commit: a change is a change of any document.
size_t Fingerprint(const LoadedManifests& m) {
  size_t h = 0;
  for (const Object& o : m.objects) h = h * 31 + std::hash<std::string>()(o.doc().dump());
  for (const auto& d : m.definitions) h = h * 31 + std::hash<std::string>()(d.doc.dump());
  return h;
}

std::string EventReason(Outcome o, bool drift) {
  switch (o) {
    case Outcome::kPruned:
      return "Pruned";
    case Outcome::kRetained:
      return "Retained";
    case Outcome::kRecreated:
      return "Recreated";
    case Outcome::kFailed:
      return "SyncFailed";
    default:
      return drift ? "DriftCorrected" : "Applied";
  }
}

bool Corrected(Outcome o) {
  return o == Outcome::kCreated || o == Outcome::kConfigured || o == Outcome::kRecreated || o == Outcome::kPruned;
}

}  // namespace

SourceLoop::SourceLoop(SourceSpec spec, SourceContext ctx)
    : spec_(std::move(spec)), ctx_(ctx), clock_(ctx.clock ? *ctx.clock : Clock::Real()) {
  objects_ns_ = !spec_.ns.empty() ? spec_.ns : ctx_.kube ? ctx_.kube->config().namespace_ : "default";
  if (objects_ns_.empty()) objects_ns_ = "default";
  inventory_ns_ = spec_.inventory_ns.empty() ? objects_ns_ : spec_.inventory_ns;
}

void SourceLoop::Trigger(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.fetch = true;
    pending_.why = why;
  }
  cv_.notify_all();
}

SourceLoop::Wake SourceLoop::WaitForWork(Clock::TimePoint until, const StopToken& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  // Waits in real time: the agent's loops run on the real clock (tests inject one below this).
  cv_.wait_until(lock, until, [&] { return pending_.fetch || pending_.kube_event || stop.stop_requested(); });
  Wake w = pending_;
  pending_ = Wake{};
  return w;
}

reconcile::Options SourceLoop::ReconcileOptions() const {
  reconcile::Options o;
  o.plan_only = ctx_.agent->dry_run;
  o.prune = spec_.prune;
  o.force_conflicts = ctx_.agent->force_conflicts;
  o.timeout = ctx_.agent->timeout;
  o.inventory_namespace = inventory_ns_;
  o.inventory_name = spec_.KubeInventoryName();
  o.source = spec_.name;
  o.rabbit_inventory = spec_.RabbitInventoryName();
  o.clock = ctx_.clock;
  const Logger* log = ctx_.log;
  std::string name = spec_.name;
  o.progress = [log, name](const std::string& line) { log->Debug(line, {{"source", name}}); };
  return o;
}

Result<std::unique_ptr<rabbitmq::ManagementClient>> SourceLoop::Rabbit(const StopToken& stop) const {
  const RabbitTarget& r = *spec_.rabbit;
  return rabbitmq::Connect({r.urls, r.credentials_file, r.ca_file, static_cast<long>(r.timeout.count()), stop});
}

void SourceLoop::Run(const StopSource& term) {
  StopToken stop = term.token();
  std::thread waker([this, stop] {  // a stop wakes the loop at once
    while (stop.WaitFor(std::chrono::hours(1))) {
    }
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  });
  std::unique_ptr<WatchCache> cache;
  if (ctx_.kube) {
    WatchCacheOptions w;
    w.label_selector = std::string(diff::kManagedByLabel) + "=warren," + diff::kSourceLabel + "=" + spec_.name;
    w.watch_seconds = ctx_.agent->watch_seconds;
    w.on_change = [this](const std::string& type, const ResourceKey& key) {
      ctx_.metrics->Inc("warren_watch_events_total", {{"source", spec_.name}, {"kind", key.kind}});
      {
        std::lock_guard<std::mutex> lock(mu_);
        pending_.kube_event = true;
        pending_.why = type + " " + key.ToString();
      }
      cv_.notify_all();
    };
    w.on_synced = [this] {
      {
        std::lock_guard<std::mutex> lock(mu_);
        pending_.kube_event = true;
        pending_.why = "watch listed";
      }
      cv_.notify_all();
    };
    w.on_error = [this](const std::string& what, const Status& s) {
      ctx_.log->Warn("watch failed, retrying", {{"source", spec_.name}, {"watch", what}, {"error", s.message()}});
    };
    cache = std::make_unique<WatchCache>(*ctx_.kube, w, term);
    live_ = cache.get();
  }

  const bool rabbit = spec_.rabbit.has_value();
  auto next_poll = clock_.Now(), next_health = clock_.Now();
  bool deferred_kube = false, deferred_rabbit = false;
  bool first = true;
  while (!stop.stop_requested()) {
    Clock::TimePoint until = next_poll;
    if (rabbit) until = std::min(until, next_health);
    if (deferred_kube || deferred_rabbit || needs_full_) until = std::min(until, retry_at_);
    Wake w = first ? Wake{true, false, "start"} : WaitForWork(until, stop);
    first = false;
    if (stop.stop_requested()) break;
    auto now = clock_.Now();
    bool check_kube = w.kube_event || deferred_kube, check_rabbit = deferred_rabbit;
    if (w.fetch || now >= next_poll) {
      next_poll = now + spec_.interval;
      bool had = desired_.has_value();
      Poll(stop);
      if (had && !needs_full_) check_kube = check_rabbit = true;  // the full resync
      if (cache && desired_) cache->Track(reconcile::KubernetesObjects(desired_->manifests, rabbit));
    }
    if (rabbit && now >= next_health) {
      next_health = now + ctx_.agent->health_interval;
      ProbeHealth(stop);
      check_rabbit = true;
    }
    if (!desired_ || stop.stop_requested()) continue;
    if (!ctx_.kube) check_kube = false;
    if (!rabbit) check_rabbit = false;
    if (clock_.Now() < retry_at_) {  // backing off: remember what to look at when it ends
      deferred_kube |= check_kube;
      deferred_rabbit |= check_rabbit;
      continue;
    }
    deferred_kube = deferred_rabbit = false;
    if (needs_full_) {
      Reconcile(desired_->commit.empty() ? "manifests changed" : "commit " + desired_->commit, true, stop);
    } else if (check_kube || check_rabbit) {
      Check check = check_kube && check_rabbit ? Check::kBoth : check_kube ? Check::kKube : Check::kRabbit;
      std::string what;
      if (Drifted(check, stop, &what) && !ctx_.agent->dry_run) Reconcile("drift: " + what, false, stop);
    }
    if (clock_.Now() < retry_at_) deferred_kube = deferred_rabbit = true;  // it failed: try again then
  }
  if (cache) cache->Stop();
  live_ = nullptr;
  waker.join();
}

void SourceLoop::Poll(const StopToken& stop) {
  source::DesiredSource src = spec_.desired;
  src.default_namespace = objects_ns_;
  if (src.git) src.git->stop = stop;
  src.kustomize.stop = stop;
  auto loaded = source::LoadDesired(src);
  if (!loaded.ok()) {
    if (loaded.status().code() == StatusCode::kCancelled) return;
    ctx_.metrics->Inc("warren_git_polls_total", {{"source", spec_.name}, {"result", "error"}});
    ctx_.log->Error("source unusable", {{"source", spec_.name}, {"error", loaded.status().message()}});
    if (!desired_) {
      ctx_.metrics->Inc("warren_reconcile_total", {{"source", spec_.name}, {"result", "error"}});
      Fail();
    }
    return;
  }
  bool changed =
      !desired_ || loaded.value().commit != desired_->commit ||
      (loaded.value().commit.empty() && Fingerprint(loaded.value().manifests) != Fingerprint(desired_->manifests));
  ctx_.metrics->Inc("warren_git_polls_total",
                    {{"source", spec_.name}, {"result", changed ? "new_commit" : "unchanged"}});
  if (!changed) return;
  Json fields = {{"source", spec_.name}, {"objects", loaded.value().manifests.objects.size()}};
  if (!loaded.value().commit.empty()) fields["commit"] = loaded.value().commit;
  if (!loaded.value().signed_by.empty()) fields["signedBy"] = loaded.value().signed_by;
  ctx_.log->Info(desired_ ? "new desired state" : "desired state loaded", fields);
  desired_ = std::move(loaded).value();
  needs_full_ = true;
  retry_at_ = Clock::TimePoint{};  // a new commit is tried at once, whatever the backoff
  backoff_ = std::chrono::milliseconds(0);
}

void SourceLoop::ProbeHealth(const StopToken& stop) {
  Labels l = {{"source", spec_.name}};
  auto client = Rabbit(stop);
  Result<rabbit::HealthInputs> inputs =
      client.ok() ? rabbitmq::ProbeCluster(*client.value(),
                                           desired_ ? reconcile::RabbitReplicas(desired_->manifests.objects) : 0)
                  : Result<rabbit::HealthInputs>(client.status());
  if (!inputs.ok()) {
    if (inputs.status().code() == StatusCode::kCancelled) return;
    ctx_.metrics->Set("warren_rabbitmq_healthy", l, 0);
    ReportStatus("warren/health", forge::State::kError, "RabbitMQ unreachable: " + inputs.status().message());
    ctx_.log->Warn("RabbitMQ health unknown", {{"source", spec_.name}, {"error", inputs.status().message()}});
    return;
  }
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
  ReportStatus("warren/health", h.healthy() ? forge::State::kSuccess : forge::State::kFailure,
               rabbit::HealthSummary(h));
  rabbit::MirrorsVerdict mirrors = rabbit::JudgeMirrors(h);
  ReportStatus("warren/mirrors", mirrors.ok ? forge::State::kSuccess : forge::State::kFailure, mirrors.description);
  Json fields = {{"source", spec_.name}, {"summary", rabbit::HealthSummary(h)}};
  if (!h.healthy()) fields["problems"] = h.problems;
  if (h.healthy())
    ctx_.log->Debug("RabbitMQ healthy", fields);
  else
    ctx_.log->Warn("RabbitMQ degraded", fields);
}

std::vector<std::string> SourceLoop::RecordDrift(const diff::DiffReport& plan, bool replace) {
  std::map<std::string, int> per_kind;
  std::vector<std::string> names;
  for (const auto& d : plan.objects) {
    if (d.action == Action::kUnchanged || d.action == Action::kExtra) continue;
    ++per_kind[d.key.kind];
    names.push_back(d.DisplayName());
  }
  if (replace) ctx_.metrics->Clear("warren_drifted_objects", {{"source", spec_.name}});
  for (const auto& [kind, n] : per_kind)
    ctx_.metrics->Set("warren_drifted_objects", {{"source", spec_.name}, {"kind", kind}}, n);
  return names;
}

bool SourceLoop::Drifted(Check check, const StopToken& stop, std::string* what) {
  reconcile::Options o = ReconcileOptions();
  o.plan_only = true;
  o.skip_kube = check == Check::kRabbit;
  o.skip_rabbit = check == Check::kKube;
  reconcile::Targets t;
  t.kube = ctx_.kube;
  t.live = live_;
  std::unique_ptr<rabbitmq::ManagementClient> rabbit;
  if (spec_.rabbit) {
    auto c = Rabbit(stop);
    if (!c.ok()) {
      ctx_.log->Warn("drift check failed", {{"source", spec_.name}, {"error", c.status().message()}});
      return false;
    }
    rabbit = std::move(c).value();
    t.rabbit = rabbit.get();
  }
  reconcile::Report r = reconcile::ReconcileOnce(desired_->manifests, t, o, stop);
  for (const auto& failed : r.applied.results)  // a read that failed (the cluster's live state)
    if (failed.outcome == Outcome::kFailed)
      ctx_.log->Warn("drift check failed", {{"source", spec_.name}, {"error", failed.message}});
  if (!r.error.ok()) {
    if (r.error.code() != StatusCode::kCancelled)
      ctx_.log->Warn("drift check failed", {{"source", spec_.name}, {"error", r.error.message()}});
    return false;
  }
  std::vector<std::string> names = RecordDrift(r.plan, /*replace=*/check != Check::kRabbit);
  if (names.empty()) return false;
  *what = names.front() + (names.size() > 1 ? " and " + std::to_string(names.size() - 1) + " more" : "");
  ctx_.log->Info(ctx_.agent->dry_run ? "drift found (dry run: not corrected)" : "drift found",
                 {{"source", spec_.name}, {"objects", names}});
  return true;
}

void SourceLoop::ReportStatus(const std::string& context, forge::State state, const std::string& description) {
  if (ctx_.statuses && desired_ && !desired_->commit.empty() && !ctx_.agent->dry_run)
    ctx_.statuses->Report(context == "warren/sync" ? desired_->commit : applied_commit_, context, state, description);
}

void SourceLoop::Reconcile(const std::string& why, bool full, const StopToken& stop) {
  auto start = clock_.Now();
  if (full) ReportStatus("warren/sync", forge::State::kPending, "applying " + desired_->commit.substr(0, 12));
  reconcile::Targets t;
  std::unique_ptr<kube::KubeClient> kube = ctx_.kube ? ctx_.kube->WithStop(stop) : nullptr;
  t.kube = kube.get();
  t.live = live_;
  std::unique_ptr<rabbitmq::ManagementClient> rabbit;
  reconcile::Report report;
  if (spec_.rabbit) {
    auto c = Rabbit(stop);
    if (c.ok())
      rabbit = std::move(c).value();
    else
      report.error = c.status();
    t.rabbit = rabbit.get();
  }
  reconcile::Options options = ReconcileOptions();
  options.wait_ready = full;
  if (report.error.ok()) report = reconcile::ReconcileOnce(desired_->manifests, t, options, stop);
  double seconds = std::chrono::duration<double>(clock_.Now() - start).count();
  if (stop.stop_requested()) {
    ctx_.log->Warn("reconcile abandoned: stopping", {{"source", spec_.name}, {"why", why}});
    return;  // the next leader (or start) does it again
  }
  Account(report, why, seconds);
}

void SourceLoop::Account(const reconcile::Report& report, const std::string& why, double seconds) {
  const std::string result = !report.error.ok() ? "error" : report.Converged() ? "success" : "failure";
  Labels l = {{"source", spec_.name}};
  ctx_.metrics->Inc("warren_reconcile_total", {{"source", spec_.name}, {"result", result}});
  ctx_.metrics->Observe("warren_reconcile_duration_seconds", l, seconds);
  ctx_.metrics->Set("warren_last_reconcile_timestamp_seconds", l,
                    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  bool drift = why.rfind("drift", 0) == 0;
  std::vector<std::string> drifted = RecordDrift(report.plan, /*replace=*/true);
  if (report.applied.dry_run && !drifted.empty())
    ctx_.log->Info("drift found (dry run: not corrected)", {{"source", spec_.name}, {"objects", drifted}});

  std::string first_failure, first_skipped;
  size_t corrected = 0;
  auto events_client = ctx_.kube ? ctx_.kube->WithStop(StopToken()) : nullptr;
  for (const auto& r : report.applied.results) {
    if (r.outcome == Outcome::kFailed && first_failure.empty())
      first_failure = r.object.DisplayName() + ": " + r.message;
    if (r.outcome == Outcome::kSkipped && first_skipped.empty())
      first_skipped = r.object.DisplayName() + ": " + r.message;
    if (report.applied.dry_run) continue;
    if (Corrected(r.outcome)) {
      ++corrected;
      ctx_.metrics->Inc("warren_drift_corrections_total", {{"source", spec_.name}, {"kind", r.object.key.kind}});
    }
    bool event = Corrected(r.outcome) || r.outcome == Outcome::kFailed;
    // Events live in the object's namespace: none for cluster-scoped objects (nor RBAC to match).
    if (!event || r.object.in_broker || !events_client || r.object.api_version.empty() || r.object.key.ns.empty())
      continue;
    EventSpec e{r.object.api_version,
                r.object.key.kind,
                r.object.key.ns,
                r.object.key.name,
                r.outcome == Outcome::kFailed ? "Warning" : "Normal",
                EventReason(r.outcome, drift),
                r.outcome == Outcome::kFailed ? r.message
                                              : std::string(diff::OutcomeName(r.outcome)) + " by warren (" + why + ")"};
    Status s = ctx_.events->Record(*events_client, e);
    if (!s.ok()) ctx_.log->Warn("event not recorded", {{"source", spec_.name}, {"error", s.message()}});
  }

  Json fields = {{"source", spec_.name},   {"why", why},
                 {"result", result},       {"seconds", seconds},
                 {"corrected", corrected}, {"unchanged", report.applied.unchanged}};
  if (desired_ && !desired_->commit.empty()) fields["commit"] = desired_->commit;
  for (const auto& note : report.notes) fields["note"] = note;
  if (first_failure.empty()) first_failure = first_skipped;
  if (result != "success") {
    fields["error"] = !report.error.ok() ? report.error.message() : first_failure;
    forge::StatusUpdate sync = forge::SyncStatusOf(report);
    ReportStatus("warren/sync", sync.state, sync.description);
    Fail();
    fields["retryIn"] = std::to_string(backoff_.count() / 1000.0) + "s";
    ctx_.log->Error("reconcile failed", fields);
    return;
  }
  ctx_.log->Info(report.applied.dry_run ? "checked (dry run)" : "reconciled", fields);
  backoff_ = std::chrono::milliseconds(0);
  retry_at_ = Clock::TimePoint{};
  needs_full_ = false;
  if (desired_ && applied_commit_ != desired_->commit) {
    ctx_.metrics->Clear("warren_last_applied_commit_info", l);
    applied_commit_ = desired_->commit;
  }
  ctx_.metrics->Set("warren_last_applied_commit_info", {{"source", spec_.name}, {"commit", applied_commit_}}, 1);
  forge::StatusUpdate sync = forge::SyncStatusOf(report);
  ReportStatus("warren/sync", sync.state, sync.description);
  if (!ready_) {
    ready_ = true;
    if (ctx_.on_first_reconcile) ctx_.on_first_reconcile();
  }
}

void SourceLoop::Fail() {
  backoff_ = backoff_.count() == 0 ? std::chrono::milliseconds(1000) : std::min(backoff_ * 2, ctx_.agent->max_backoff);
  retry_at_ = clock_.Now() + backoff_;
}

}  // namespace warren::run
