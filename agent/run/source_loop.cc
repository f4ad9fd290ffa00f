#include "agent/run/source_loop.h"

#include <thread>
#include <utility>

#include "agent/forge/sync_status.h"
#include "agent/reconcile/kube_stage.h"
#include "agent/run/watch_cache.h"
#include "agent/util/memory.h"
#include "diff/engine/diff.h"
#include "diff/model/rabbit_topology.h"

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
  objects_ns_ = !spec_.ns.empty() ? spec_.ns : ctx_.kube ? ctx_.kube->DefaultNamespace() : "default";
  if (objects_ns_.empty()) objects_ns_ = "default";
  inventory_ns_ = spec_.inventory_ns.empty() ? objects_ns_ : spec_.inventory_ns;
}

void SourceLoop::Trigger(const std::string& why, bool full) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    fetch_why_ = why.empty() ? "triggered" : why;
    full_requested_ |= full;
  }
  sync_cv_.notify_all();
}

std::string SourceLoop::WaitForFetch(Clock::TimePoint until, const StopToken& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  clock_.WaitUntil(sync_cv_, lock, until, [&] { return !fetch_why_.empty() || stop.stop_requested(); });
  return std::exchange(fetch_why_, "");
}

SourceLoop::DesiredPtr SourceLoop::Published() const {
  std::lock_guard<std::mutex> lock(mu_);
  return published_;
}

std::string SourceLoop::AppliedCommit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_commit_;
}

reconcile::Options SourceLoop::ReconcileOptions() const {
  reconcile::Options o;
  o.plan_only = WritesNothing();
  o.prune = spec_.prune;
  o.force_conflicts = ctx_.agent->force_conflicts;
  o.apply_concurrency = ctx_.agent->apply_concurrency;
  o.timeout = ctx_.agent->timeout;
  o.inventory_namespace = inventory_ns_;
  o.inventory_name = spec_.KubeInventoryName();
  o.source = spec_.name;
  o.rabbit_inventory = spec_.RabbitInventoryName();
  o.clock = ctx_.clock;
  o.kube_write_lock = &kube_writes_;
  const Logger* log = ctx_.log;
  std::string name = spec_.name;
  o.progress = [log, name](const std::string& line) { log->Debug(line, {{"source", name}}); };
  return o;
}

rabbitmq::ConnectOptions SourceLoop::RabbitConnect(std::chrono::milliseconds timeout, const StopToken& stop) const {
  const RabbitTarget& r = *spec_.rabbit;
  return {r.urls, r.credentials_file, r.ca_file, static_cast<long>(timeout.count()), stop};
}

Result<std::unique_ptr<rabbitmq::ManagementApi>> SourceLoop::ConnectRabbit(std::chrono::milliseconds timeout,
                                                                           const StopToken& stop) const {
  rabbitmq::ConnectOptions o = RabbitConnect(timeout, stop);
  if (ctx_.connect_rabbit) return ctx_.connect_rabbit(o);
  WARREN_ASSIGN_OR_RETURN(auto client, rabbitmq::Connect(o));
  return std::unique_ptr<rabbitmq::ManagementApi>(std::move(client));
}

rabbitmq::ManagementApi* SourceLoop::SyncRabbit(const StopToken& stop, Status* error) {
  if (!rabbit_) {
    auto c = ConnectRabbit(spec_.rabbit->timeout, stop);
    if (!c.ok()) {
      *error = c.status();
      return nullptr;
    }
    rabbit_ = std::move(c).value();
  }
  return rabbit_.get();
}

void SourceLoop::Run(const StopSource& term) {
  StopToken stop = term.token();
  std::thread waker([this, stop] {  // a stop wakes every lane at once
    while (stop.WaitFor(std::chrono::hours(1))) {
    }
    std::lock_guard<std::mutex> lock(mu_);
    sync_cv_.notify_all();
    kube_cv_.notify_all();
    rollout_cv_.notify_all();
  });
  std::unique_ptr<WatchCache> cache;
  if (ctx_.kube) {
    Labels source = {{"source", spec_.name}};
    WatchCacheOptions w;
    w.label_selector = std::string(diff::kManagedByLabel) + "=warren," + diff::kSourceLabel + "=" + spec_.name;
    w.watch_seconds = ctx_.agent->watch_seconds;
    w.clock = ctx_.clock;
    auto wake_kube = [this](const std::string& why) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        kube_why_ = why;
      }
      kube_cv_.notify_all();
    };
    w.on_change = [this, wake_kube](const std::string& type, const ResourceKey& key) {
      ctx_.metrics->Inc("warren_watch_events_total", {{"source", spec_.name}, {"kind", key.kind}});
      wake_kube(type + " " + key.ToString());
    };
    w.on_synced = [this, wake_kube] {
      {
        std::lock_guard<std::mutex> lock(watch_log_mu_);
        watch_log_ = StateLog();  // listed again: a later failure is news
      }
      wake_kube("watch listed");
    };
    w.on_error = [this](const std::string& what, const Status& s) {
      // A watch that keeps failing the same way (a 403, a server away) is said once per change
      // and then every few minutes, not at every re-watch.
      Json fields = {{"source", spec_.name}, {"watch", what}, {"error", s.message()}};
      StateLog::Say say;
      {
        std::lock_guard<std::mutex> lock(watch_log_mu_);
        say = watch_log_.Observe(what, s.message(), clock_.Now());
      }
      if (say == StateLog::Say::kQuiet)
        ctx_.log->Debug("watch failed, retrying", fields);
      else
        ctx_.log->Warn("watch failed, retrying", fields);
    };
    w.on_relist = [this](const std::string& kind) {
      ctx_.metrics->Inc("warren_watch_relists_total", {{"source", spec_.name}, {"kind", kind}});
      ctx_.log->Debug("watch relisted", {{"source", spec_.name}, {"kind", kind}});
    };
    w.on_restart = [this](const std::string& kind, const std::string& reason) {
      ctx_.metrics->Inc("warren_watch_restarts_total", {{"source", spec_.name}, {"kind", kind}, {"reason", reason}});
      ctx_.log->Debug("watch restarted", {{"source", spec_.name}, {"kind", kind}, {"reason", reason}});
    };
    cache = std::make_unique<WatchCache>(*ctx_.kube, w, term);
    live_ = cache_ = cache.get();
  }
  std::thread kube_lane, health_lane, rollout_lane;
  if (ctx_.kube) kube_lane = std::thread([this, stop] { KubeLane(stop); });
  if (spec_.rabbit) health_lane = std::thread([this, stop] { HealthLane(stop); });
  if (ctx_.kube && spec_.rabbit) rollout_lane = std::thread([this, stop] { RolloutLane(stop); });
  SyncLane(stop);
  if (kube_lane.joinable()) kube_lane.join();
  if (health_lane.joinable()) health_lane.join();
  if (rollout_lane.joinable()) rollout_lane.join();
  if (cache) cache->Stop();
  live_ = cache_ = nullptr;
  rabbit_.reset();  // the next term connects anew, on its own stop token
  waker.join();
}

void SourceLoop::SyncLane(const StopToken& stop) {
  const bool rabbit = spec_.rabbit.has_value();
  auto next_poll = clock_.Now(), next_rabbit = clock_.Now() + ctx_.agent->health_interval;
  bool deferred_rabbit = false;
  bool first = true;
  while (!stop.stop_requested()) {
    Clock::TimePoint until = next_poll;
    if (rabbit) until = std::min(until, next_rabbit);
    if (deferred_rabbit || needs_full_) until = std::min(until, retry_at_);
    if (key_wait_) until = std::min(until, next_key_check_);
    bool fetch = first || !WaitForFetch(until, stop).empty();
    first = false;
    if (stop.stop_requested()) break;
    auto now = clock_.Now();
    if (!fetch && key_wait_ && now >= next_key_check_) fetch = KeySecretChanged();
    bool check_rabbit = deferred_rabbit;
    if (fetch || now >= next_poll) {
      bool had = desired_ != nullptr;
      Status polled = Poll(stop);
      if (polled.code() == StatusCode::kCancelled) break;
      // A failed poll is tried again soon (1 s doubling), never later than the interval.
      if (polled.ok()) {
        git_backoff_ = std::chrono::milliseconds(0);
        next_poll = now + spec_.interval;
      } else {
        git_backoff_ = NextBackoff(git_backoff_);
        next_poll = now + std::min(git_backoff_, spec_.interval);
      }
      if (had && !needs_full_) check_rabbit = true;  // the broker's full resync (the Kubernetes lane has its own)
      bool full;
      {
        std::lock_guard<std::mutex> lock(mu_);
        full = std::exchange(full_requested_, false);
      }
      if (full && desired_ && polled.ok()) {  // asked for: applied in full at once, backoff or not
        needs_full_ = true;
        retry_at_ = Clock::TimePoint{};
      }
      if (cache_ && desired_) cache_->Track(reconcile::KubernetesObjects(desired_->manifests, rabbit));
    }
    if (rabbit && now >= next_rabbit) {
      next_rabbit = now + ctx_.agent->health_interval;
      check_rabbit = true;
    }
    if (!desired_ || stop.stop_requested()) continue;
    if (!rabbit) check_rabbit = false;
    if (clock_.Now() < retry_at_) {  // backing off: remember what to look at when it ends
      deferred_rabbit |= check_rabbit;
      continue;
    }
    deferred_rabbit = false;
    if (needs_full_) {
      Reconcile(desired_->commit.empty() ? "manifests changed" : "commit " + desired_->commit, true, stop);
    } else if (check_rabbit) {
      std::string what;
      if (RabbitDrifted(stop, &what) && !WritesNothing()) Reconcile("drift: " + what, false, stop);
    }
    if (clock_.Now() < retry_at_) deferred_rabbit = rabbit;  // it failed: look again then
  }
}

Status SourceLoop::Poll(const StopToken& stop) {
  auto started = clock_.Now();
  source::DesiredSource src = spec_.desired;
  src.default_namespace = objects_ns_;
  if (src.git) src.git->stop = stop;
  src.kustomize.stop = stop;
  // The age identities are read at every poll: a rotated key Secret needs no restart.
  Result<sops::Keyring> keys = sops::Keyring{};
  std::string key_version;  // the key Secret's, as read for these keys
  if (src.decryption.configured()) keys = source::LoadKeyring(src.decryption, ctx_.kube, &key_version);
  src.keys = keys.ok() ? &keys.value() : nullptr;
  auto loaded = !keys.ok()  ? Result<source::Desired>(keys.status())
                : ctx_.load ? ctx_.load(src)
                            : source::LoadDesired(src);
  if (!loaded.ok()) {
    if (loaded.status().code() == StatusCode::kCancelled) return loaded.status();
    ctx_.metrics->Inc("warren_git_polls_total", {{"source", spec_.name}, {"result", "error"}});
    // Said when the error begins or changes, then every few minutes: not on every retry.
    Json fields = {{"source", spec_.name}, {"error", loaded.status().message()}};
    switch (sync_log_.Observe("source", loaded.status().message(), clock_.Now())) {
      case StateLog::Say::kQuiet:
        ctx_.log->Debug("source unusable", fields);
        break;
      case StateLog::Say::kReminder:
        ctx_.log->Error("source still unusable", fields);
        break;
      default:
        ctx_.log->Error("source unusable", fields);
    }
    if (!desired_) {
      ctx_.metrics->Inc("warren_reconcile_total", {{"source", spec_.name}, {"result", "error"}});
    }
    // A commit that cannot be used (a file it cannot decrypt, say) is told so on the commit;
    // nothing of it is applied.
    std::string commit = source::FailedCommit(loaded.status());
    if (!commit.empty()) ReportStatus(commit, "warren/sync", forge::State::kError, loaded.status().message());
    // No commit to put a status on (git unreachable, say): the source's own status says it.
    if (commit.empty() && ctx_.source_status)
      ctx_.source_status->Report("", "warren/source", forge::State::kError, loaded.status().message());
    // Missing or wrong keys: try again as soon as the key Secret changes, not on the backoff.
    key_wait_ = !spec_.desired.decryption.secret.empty() && (!keys.ok() || sops::IsDecryptionError(loaded.status()));
    if (key_wait_) {
      key_version_ = key_version;
      next_key_check_ = started + kKeyCheckInterval;
    }
    return loaded.status();
  }
  key_wait_ = false;
  // Labelled as warren's once, here: each reconcile would otherwise copy every object to label it.
  for (Object& o : loaded.value().manifests.objects)
    if (!spec_.rabbit || !rabbit::IsTopologyObject(o)) o = reconcile::Owned(std::move(o), spec_.name);
  if (sync_log_.Clear("source")) ctx_.log->Info("source usable again", {{"source", spec_.name}});
  bool changed =
      !desired_ || loaded.value().commit != desired_->commit ||
      (loaded.value().commit.empty() && Fingerprint(loaded.value().manifests) != Fingerprint(desired_->manifests));
  ctx_.metrics->Inc("warren_git_polls_total",
                    {{"source", spec_.name}, {"result", changed ? "new_commit" : "unchanged"}});
  if (!changed) return Status::Ok();
  Json fields = {{"source", spec_.name}, {"objects", loaded.value().manifests.objects.size()}};
  if (!loaded.value().commit.empty()) fields["commit"] = loaded.value().commit;
  if (!loaded.value().signed_by.empty()) fields["signedBy"] = loaded.value().signed_by;
  ctx_.log->Info(desired_ ? "new desired state" : "desired state loaded", fields);
  desired_ = std::make_shared<const source::Desired>(std::move(loaded).value());
  needs_full_ = true;
  rabbit_blocked_.clear();         // what needed action may be fixed by this one
  retry_at_ = Clock::TimePoint{};  // a new commit is tried at once, whatever the backoff
  backoff_ = std::chrono::milliseconds(0);
  return Status::Ok();
}

bool SourceLoop::KeySecretChanged() {
  next_key_check_ = clock_.Now() + kKeyCheckInterval;
  auto version = source::KeySecretVersion(spec_.desired.decryption, ctx_.kube);
  if (!version.ok() || version.value() == key_version_) return false;
  ctx_.log->Info("decryption Secret changed", {{"source", spec_.name}, {"secret", spec_.desired.decryption.secret}});
  return true;
}

std::vector<std::string> SourceLoop::RecordDrift(const diff::DiffReport& plan, DriftScope scope) {
  PerKind per_kind;
  std::vector<std::string> names;
  for (const auto& d : plan.objects) {
    if (d.action == Action::kUnchanged || d.action == Action::kExtra) continue;
    auto& [n, in_broker] = per_kind[d.key.kind];
    ++n;
    in_broker = d.in_broker;
    names.push_back(d.DisplayName());
  }
  SetPerKind("warren_drifted_objects", per_kind, drift_kinds_, scope);
  return names;
}

void SourceLoop::SetPerKind(const std::string& gauge, const PerKind& per_kind, std::map<std::string, bool>& kinds,
                            DriftScope scope) {
  std::lock_guard<std::mutex> lock(drift_mu_);
  // The scope's kinds no longer counted go; the others are overwritten (a scrape never sees a gap).
  for (auto it = kinds.begin(); it != kinds.end();) {
    bool in_scope = scope == DriftScope::kAll || it->second == (scope == DriftScope::kRabbit);
    if (in_scope && !per_kind.count(it->first)) {
      ctx_.metrics->Clear(gauge, {{"source", spec_.name}, {"kind", it->first}});
      it = kinds.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [kind, count] : per_kind) {
    ctx_.metrics->Set(gauge, {{"source", spec_.name}, {"kind", kind}}, count.first);
    kinds[kind] = count.second;
  }
}

bool SourceLoop::RabbitDrifted(const StopToken& stop, std::string* what) {
  reconcile::Options o = ReconcileOptions();
  o.plan_only = true;
  o.skip_kube = true;
  reconcile::Targets t;
  t.kube = ctx_.kube;
  t.live = live_;
  Status error;
  t.rabbit = SyncRabbit(stop, &error);
  if (!t.rabbit) {
    ctx_.log->Warn("drift check failed", {{"source", spec_.name}, {"error", error.message()}});
    return false;
  }
  reconcile::Report r = reconcile::ReconcileOnce(desired_->manifests, t, o, stop);
  if (!r.error.ok()) {
    if (r.error.code() != StatusCode::kCancelled)
      ctx_.log->Warn("drift check failed", {{"source", spec_.name}, {"error", r.error.message()}});
    return false;
  }
  // Not drift to correct: what prune (off) leaves in place, and what needed action and has not
  // changed since.
  diff::DiffReport drifted;
  for (diff::ObjectDiff& d : r.plan.objects) {
    if (d.action == Action::kPrune && !spec_.prune) continue;
    auto blocked = rabbit_blocked_.find(d.key);
    if (blocked != rabbit_blocked_.end()) {
      if (d.action != Action::kUnchanged && blocked->second == diff::Fingerprint(d)) continue;
      rabbit_blocked_.erase(blocked);
    }
    drifted.objects.push_back(std::move(d));
  }
  std::vector<std::string> names = RecordDrift(drifted, DriftScope::kRabbit);
  if (names.empty()) return false;
  *what = FirstNames(names, 1);
  ctx_.log->Info(WritesNothing() ? "drift found (dry run: not corrected)" : "drift found",
                 {{"source", spec_.name}, {"objects", names.size()}, {"first", FirstNames(names)}});
  return true;
}

void SourceLoop::ReportStatus(const std::string& commit, const std::string& context, forge::State state,
                              const std::string& description) {
  if (ctx_.source_status && !commit.empty()) ctx_.source_status->Report(commit, context, state, description);
  if (ctx_.statuses && !commit.empty() && !WritesNothing()) ctx_.statuses->Report(commit, context, state, description);
}

void SourceLoop::Reconcile(const std::string& why, bool full, const StopToken& stop) {
  auto start = clock_.Now();
  if (full)
    ReportStatus(desired_->commit, "warren/sync", forge::State::kPending, "applying " + desired_->commit.substr(0, 12));
  reconcile::Targets t;
  std::unique_ptr<kube::Api> kube = ctx_.kube ? ctx_.kube->Stoppable(stop) : nullptr;
  t.kube = kube.get();
  t.live = live_;
  reconcile::Report report;
  if (spec_.rabbit) t.rabbit = SyncRabbit(stop, &report.error);
  reconcile::Options options = ReconcileOptions();
  options.wait_ready = full;
  options.skip_kube = !full;  // drift of Kubernetes objects is the Kubernetes lane's
  // The Kubernetes lane corrects toward this commit once its objects are applied (a dry run
  // applies nothing: at once), so it neither undoes the commit nor runs ahead of it.
  // A watch event the Kubernetes lane took before anything was published (or while this commit's
  // objects were being applied) was checked against nothing or the old commit: it looks again.
  auto publish = [this, d = desired_] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      published_ = d;
      if (kube_why_.empty()) kube_why_ = d->commit.empty() ? "manifests applied" : "commit " + d->commit + " applied";
    }
    kube_cv_.notify_all();
    rollout_cv_.notify_all();
  };
  bool refused = false;
  if (full && spec_.dry_run_first && !options.plan_only && report.error.ok()) {
    // All of the commit through the API server's checks (RBAC, admission, validation) first:
    // a refusal leaves everything as it was, instead of half of the commit applied.
    reconcile::Options check = options;
    check.dry_run = true;
    check.wait_ready = false;
    check.skip_rabbit = true;
    reconcile::Report dry = reconcile::ReconcileOnce(desired_->manifests, t, check, stop);
    refused = !dry.error.ok() || dry.applied.Class() == diff::OutcomeClass::kFailed;
    if (refused) report = std::move(dry);
  }
  if (full && options.plan_only) publish();
  if (full) options.on_kube_applied = publish;
  if (report.error.ok() && !refused) report = reconcile::ReconcileOnce(desired_->manifests, t, options, stop);
  double seconds = std::chrono::duration<double>(clock_.Now() - start).count();
  if (stop.stop_requested()) {
    ctx_.log->Warn("reconcile abandoned: stopping", {{"source", spec_.name}, {"why", why}});
    return;  // the next leader (or start) does it again
  }
  // The whole commit was diffed and applied: without this RSS would stay at that peak. Before
  // Account, which may make the agent ready, so that what readiness sees is what it holds.
  if (full) ReturnFreeMemory();
  Account(report, why, seconds);
}

// Who changed what a drift correction put back: `.spec.replicas set by kubectl (Update /scale,
// 2026-12-02T14:02:11Z)`; RabbitMQ records no author.
std::string DriftAuthors(const diff::ObjectDiff& d) {
  if (d.in_broker) return "changed outside warren";
  std::string out;
  size_t said = 0;
  for (const diff::Change& c : d.changes) {
    if (!c.changed_by) continue;  // only warren owns it, or nobody does (a field someone removed)
    if (++said > 3) continue;
    const diff::FieldWriter& w = *c.changed_by;
    out += (out.empty() ? "" : "; ") + c.field + " set by " + w.manager + " (" + diff::WriteText(w) + ")";
  }
  if (said > 3) out += "; and " + std::to_string(said - 3) + " more";
  return out;
}

// The manager label of warren_drift_corrections_total: the most recent writer of the object's
// changed fields; "unknown" when none is recorded (RabbitMQ, or a field someone removed).
std::string DriftManager(const diff::ObjectDiff& d) {
  const diff::FieldWriter* last = nullptr;
  for (const diff::Change& c : d.changes)
    if (c.changed_by && (!last || c.changed_by->time > last->time)) last = &*c.changed_by;
  return last ? last->manager : "unknown";
}

void SourceLoop::SendEvent(kube::Api& client, const EventSpec& e) {
  bool dropped = false;
  Status s = ctx_.events->Record(client, e, &dropped);
  if (dropped) ctx_.metrics->Inc("warren_events_dropped_total", {{"source", spec_.name}});
  if (!s.ok()) ctx_.log->Warn("event not recorded", {{"source", spec_.name}, {"error", s.message()}});
}

void SourceLoop::SummaryEvent(const reconcile::Report& report, const std::string& why, kube::Api& client) {
  const diff::ApplyReport& a = report.applied;
  std::string counts;
  std::vector<std::string> changed;
  for (Outcome o : {Outcome::kCreated, Outcome::kConfigured, Outcome::kRecreated, Outcome::kPruned,
                    Outcome::kNeedsAction, Outcome::kFailed})
    if (size_t n = a.Count(o)) counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + OutcomeName(o);
  for (const auto& r : a.results) {
    if (!Corrected(r.outcome) && diff::ClassOf(r.outcome) == diff::OutcomeClass::kInSync) continue;
    changed.push_back(r.object.DisplayName() + " " + OutcomeName(r.outcome));
  }
  if (changed.empty()) return;  // nothing changed: nothing to say
  diff::OutcomeClass c = a.Class();
  std::string message = why + ": " + counts + " (" + FirstNames(changed, 5) + ")";
  if (std::string orphans = diff::OrphansNote(a); !orphans.empty()) message += "; " + orphans;
  SendEvent(client, EventSpec{"v1", "ConfigMap", inventory_ns_, spec_.KubeInventoryName(),
                              c == diff::OutcomeClass::kInSync ? "Normal" : "Warning",
                              c == diff::OutcomeClass::kInSync        ? "Synced"
                              : c == diff::OutcomeClass::kNeedsAction ? "NeedsAction"
                                                                      : "SyncFailed",
                              message});
}

SourceLoop::Outcomes SourceLoop::RecordResults(const reconcile::Report& report, const std::string& why, bool drift) {
  Outcomes out;
  std::string first_skipped;
  auto events_client = ctx_.kube ? ctx_.kube->Stoppable(StopToken()) : nullptr;
  for (const auto& r : report.applied.results) {
    std::string said = r.object.DisplayName() + ": " + r.message;
    if (r.outcome == Outcome::kFailed && out.first_failure.empty()) out.first_failure = said;
    if (r.outcome == Outcome::kSkipped && first_skipped.empty()) first_skipped = said;
    if (r.outcome == Outcome::kNeedsAction && out.first_needs_action.empty()) out.first_needs_action = said;
    if (report.applied.dry_run) continue;
    if (Corrected(r.outcome)) ++out.corrected;
    if (Corrected(r.outcome) && drift)
      ctx_.metrics->Inc("warren_drift_corrections_total",
                        {{"source", spec_.name}, {"kind", r.object.key.kind}, {"manager", DriftManager(r.object)}});
    // On the object itself: a drift correction (who changed it), a failure, a needed action. A new
    // commit's creates and updates go into one summary Event instead.
    bool failed = r.outcome == Outcome::kFailed || r.outcome == Outcome::kNeedsAction;
    if (!(failed || (drift && Corrected(r.outcome)))) continue;
    // Events live in the object's namespace: none for cluster-scoped objects (nor RBAC to match).
    if (r.object.in_broker || !events_client || r.object.api_version.empty() || r.object.key.ns.empty()) continue;
    std::string message = r.message;
    if (!failed) {
      message = std::string(diff::OutcomeName(r.outcome)) + " by warren (" + why + ")";
      if (std::string who = DriftAuthors(r.object); !who.empty()) message += ": " + who;
    }
    SendEvent(*events_client,
              EventSpec{r.object.api_version, r.object.key.kind, r.object.key.ns, r.object.key.name,
                        failed ? "Warning" : "Normal",
                        r.outcome == Outcome::kNeedsAction ? "NeedsAction" : EventReason(r.outcome, drift), message});
  }
  if (!drift && !report.applied.dry_run && events_client) SummaryEvent(report, why, *events_client);
  if (out.first_failure.empty()) out.first_failure = first_skipped;
  return out;
}

void SourceLoop::RecordOrphans(const diff::ApplyReport& applied, DriftScope scope) {
  if (applied.dry_run) return;
  PerKind per_kind;
  for (const auto& r : applied.results) {
    if (!r.Orphaned()) continue;
    auto& [n, in_broker] = per_kind[r.object.key.kind];
    ++n;
    in_broker = r.object.in_broker;
  }
  SetPerKind("warren_orphaned_objects", per_kind, orphan_kinds_, scope);
}

void SourceLoop::Account(const reconcile::Report& report, const std::string& why, double seconds) {
  using diff::OutcomeClass;
  OutcomeClass cls = report.applied.Class();
  const std::string result = !report.error.ok()                  ? "error"
                             : cls == OutcomeClass::kFailed      ? "failure"
                             : cls == OutcomeClass::kNeedsAction ? "needs_action"
                                                                 : "success";
  Labels l = {{"source", spec_.name}};
  ctx_.metrics->Inc("warren_reconcile_total", {{"source", spec_.name}, {"result", result}});
  ctx_.metrics->Observe("warren_reconcile_duration_seconds", l, seconds);
  ctx_.metrics->Set("warren_last_reconcile_timestamp_seconds", l,
                    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  bool drift = why.rfind("drift", 0) == 0;
  std::vector<std::string> drifted = RecordDrift(report.plan, drift ? DriftScope::kRabbit : DriftScope::kAll);
  if (report.applied.dry_run && !drifted.empty())
    ctx_.log->Info("drift found (dry run: not corrected)",
                   {{"source", spec_.name}, {"objects", drifted.size()}, {"first", FirstNames(drifted)}});
  if (report.error.ok()) RecordOrphans(report.applied, drift ? DriftScope::kRabbit : DriftScope::kAll);
  Outcomes outcomes = RecordResults(report, why, drift);

  Json fields = {{"source", spec_.name},
                 {"why", why},
                 {"result", result},
                 {"seconds", seconds},
                 {"corrected", outcomes.corrected},
                 {"unchanged", report.applied.unchanged}};
  if (!desired_->commit.empty()) fields["commit"] = desired_->commit;
  for (const auto& note : report.notes) fields["note"] = note;
  if (std::string orphans = diff::OrphansNote(report.applied); !orphans.empty()) fields["leftInPlace"] = orphans;
  if (drift && outcomes.corrected) fields["changedBy"] = "changed outside warren";  // RabbitMQ records no author
  forge::StatusUpdate sync = forge::SyncStatusOf(report);
  if (result == "error" || result == "failure") {
    fields["error"] = !report.error.ok() ? report.error.message() : outcomes.first_failure;
    ReportStatus(desired_->commit, "warren/sync", sync.state, sync.description);
    Fail();
    fields["retryIn"] = std::to_string(backoff_.count() / 1000.0) + "s";
    // A retry that fails the same way is said again only every few minutes.
    std::string state = fields["error"].get<std::string>();
    if (sync_log_.Observe("reconcile", state, clock_.Now()) == StateLog::Say::kQuiet)
      ctx_.log->Debug("reconcile failed", fields);
    else
      ctx_.log->Error("reconcile failed", fields);
    return;
  }
  // Done with this commit either way: what needs action is not retried until git, the object or
  // the agent's settings change (the Kubernetes lane and the broker's drift check watch for that).
  backoff_ = std::chrono::milliseconds(0);
  retry_at_ = Clock::TimePoint{};
  needs_full_ = false;
  sync_log_.Clear("reconcile");
  ReportStatus(desired_->commit, "warren/sync", sync.state, sync.description);
  if (result == "needs_action") {
    for (const auto& r : report.applied.results)
      if (r.outcome == Outcome::kNeedsAction && r.object.in_broker)
        rabbit_blocked_[r.object.key] = diff::Fingerprint(r.object);
    fields["error"] = outcomes.first_needs_action;
    ctx_.log->Error("reconcile needs action (not retried until git, the object or the agent's settings change)",
                    fields);
  } else {
    ctx_.log->Info(report.applied.dry_run ? "checked (dry run)" : "reconciled", fields);
    std::string applied = AppliedCommit();
    if (applied != desired_->commit) {
      ctx_.metrics->Clear("warren_last_applied_commit_info", l);
      std::lock_guard<std::mutex> lock(mu_);
      applied = applied_commit_ = desired_->commit;
    }
    ctx_.metrics->Set("warren_last_applied_commit_info", {{"source", spec_.name}, {"commit", applied}}, 1);
  }
  if (!ready_) {
    ready_ = true;
    if (ctx_.on_first_reconcile) ctx_.on_first_reconcile();
  }
}

void SourceLoop::Fail() {
  backoff_ = NextBackoff(backoff_);
  retry_at_ = clock_.Now() + backoff_;
}

std::chrono::milliseconds SourceLoop::NextBackoff(std::chrono::milliseconds current) const {
  return current.count() == 0 ? std::chrono::milliseconds(1000) : std::min(current * 2, ctx_.agent->max_backoff);
}

}  // namespace warren::run
