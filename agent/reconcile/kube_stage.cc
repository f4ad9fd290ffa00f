#include "agent/reconcile/kube_stage.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "diff/check/rules.h"
#include "diff/engine/apply_order.h"
#include "diff/engine/diff.h"
#include "diff/engine/prune.h"
#include "diff/engine/readiness.h"
#include "diff/model/quantity.h"

namespace warren::reconcile {
namespace {

using diff::Action;
using diff::ApplyResult;
using diff::Outcome;

std::string Annotation(const Object& o, const char* key) {
  return StringField(Field(Field(o.doc(), "metadata"), "annotations"), key);
}

Json InventoryEntry(const ResourceKey& k, const std::string& api_version) {
  return {{"apiVersion", api_version}, {"kind", k.kind}, {"namespace", k.ns}, {"name", k.name}};
}

std::string Hint(const Status& s) {
  if (s.code() == StatusCode::kConflict && s.message().find("Apply failed") != std::string::npos)
    return " (another manager owns these fields: force-conflicts, or the annotation warren.io/force-conflicts: "
           "\"true\", "
           "takes them over)";
  return "";
}

// Where Record() puts results: the stage's worker threads each collect their object's own, so the
// report keeps the stage's order whatever order the writes finished in.
thread_local std::vector<ApplyResult>* t_results = nullptr;
struct ResultSink {
  explicit ResultSink(std::vector<ApplyResult>* to) { t_results = to; }
  ~ResultSink() { t_results = nullptr; }
};

// Runs f(0..n-1) on at most `limit` threads (the caller's own when limit is 1 or n is 1).
void ForEachBounded(size_t n, int limit, const std::function<void(size_t)>& f) {
  size_t threads = std::min<size_t>(n, static_cast<size_t>(std::max(1, limit)));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) f(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

class Syncer {
 public:
  Syncer(kube::Api& client, const KubeStageOptions& o, const StopToken& stop)
      : c_(client), o_(o), stop_(stop), clock_(o.clock ? *o.clock : Clock::Real()) {
    report_.dry_run = o.dry_run;
  }

  diff::ApplyReport Run(const std::vector<Object>& desired, const std::vector<Object>& live,
                        const diff::DiffReport& plan) {
    std::unique_lock<std::mutex> writes;
    if (o_.write_lock) writes = std::unique_lock<std::mutex>(*o_.write_lock);
    // Before any write: an inventory that cannot be read stops the stage (see the header).
    Status inventory = LoadInventory();
    if (!inventory.ok()) return InventoryUnreadable(inventory);
    std::map<ResourceKey, const diff::ObjectDiff*> by_key;
    for (const auto& d : plan.objects) by_key[d.key] = &d;
    std::map<ResourceKey, const Object*> live_by_key;
    for (const Object& l : live) live_by_key[l.key()] = &l;

    bool stopped = false;
    std::vector<const Object*> applied;
    std::vector<const Object*> order = diff::InApplyOrder(desired);
    for (size_t begin = 0, end = 0; begin < order.size(); begin = end) {
      int rank = diff::ApplyRank(order[begin]->group(), order[begin]->kind());
      for (end = begin; end < order.size() && diff::ApplyRank(order[end]->group(), order[end]->kind()) == rank;) ++end;
      // What this stage must write; the rest is recorded as it goes.
      std::vector<Write> stage;
      for (size_t i = begin; i < end; ++i) {
        const Object* o = order[i];
        const diff::ObjectDiff& d = *by_key.at(o->key());
        if (stopped) {
          Record(d, Outcome::kSkipped, "not applied: an earlier stage failed");
          continue;
        }
        if (Annotation(*o, "warren.io/reconcile") == "disabled") {
          if (d.action != Action::kUnchanged) Record(d, Outcome::kLeftInPlace, "warren.io/reconcile: disabled");
          continue;
        }
        // Applied (or already right): the object is warren's from now on.
        inventory_[o->key()] = o->api_version();
        if (d.action == Action::kUnchanged) {
          ++report_.unchanged;
          applied.push_back(o);
          continue;
        }
        // Before the first write that could leave an object behind, the inventory already names it:
        // a kill between this write and the last one loses nothing (Namespaces are never pruned).
        if (!intent_recorded_ && !diff::NeverDeleted(o->group(), o->kind())) {
          Status recorded = RecordIntent(desired);
          if (!recorded.ok()) {
            Record(d, Outcome::kFailed,
                   "not applied: record the inventory first: " + recorded.message() +
                       " (nothing else applied or pruned: retried next time)");
            return std::move(report_);
          }
        }
        auto it = live_by_key.find(o->key());
        stage.push_back({o, &d, it == live_by_key.end() ? nullptr : it->second});
      }
      // The stage's writes, up to `concurrency` at a time; their results in the stage's order.
      std::vector<std::vector<ApplyResult>> results(stage.size());
      std::vector<char> ok(stage.size(), 0);
      ForEachBounded(stage.size(), o_.concurrency, [&](size_t i) {
        ResultSink sink(&results[i]);
        const Write& w = stage[i];
        ok[i] = w.diff->action == Action::kRecreate ? Recreate(*w.object, *w.diff, w.live) : Apply(*w.object, *w.diff);
      });
      for (size_t i = 0; i < stage.size(); ++i) {
        for (ApplyResult& r : results[i]) report_.results.push_back(std::move(r));
        if (ok[i]) {
          applied.push_back(stage[i].object);
          continue;
        }
        if (stage[i].diff->action == Action::kCreate) inventory_.erase(stage[i].object->key());  // nothing created
        // An object that needs action is as it was live: what comes after it may go on. A failed
        // request stops the stages after this one.
        bool needs_action = report_.results.back().outcome == Outcome::kNeedsAction;
        if (!o_.continue_on_error && !needs_action) stopped = true;
      }
    }
    if (o_.on_applied) o_.on_applied();
    if (!o_.dry_run && !stopped && o_.wait_ready) {
      if (writes) writes.unlock();
      WaitReady(applied);
      if (writes.mutex()) writes.lock();
    }
    if (!stop_.stop_requested() && !o_.partial) Prune(desired);
    SaveInventory();
    return std::move(report_);
  }

 private:
  ResourceKey InventoryKey() const { return ResourceKey{"", "ConfigMap", o_.inventory_namespace, o_.inventory_name}; }

  diff::ApplyReport InventoryUnreadable(const Status& s) {
    ApplyResult r;
    r.object.key = InventoryKey();
    r.object.api_version = "v1";
    r.outcome = Outcome::kFailed;
    r.message = "read warren's inventory: " + s.message() + " (nothing applied, pruned or recorded: retried next time)";
    report_.results.push_back(std::move(r));
    return std::move(report_);
  }

  void Record(const diff::ObjectDiff& d, Outcome outcome, std::string message = "") {
    (t_results ? *t_results : report_.results).push_back(ApplyResult{d, outcome, std::move(message)});
  }

  struct Write {
    const Object* object;
    const diff::ObjectDiff* diff;
    const Object* live;  // null when there is none
  };

  bool Force(const Object& o) const {
    return o_.force_conflicts || Annotation(o, "warren.io/force-conflicts") == "true";
  }

  bool Apply(const Object& o, const diff::ObjectDiff& d) {
    auto r = c_.Apply(o.doc(), {Force(o), o_.dry_run});
    if (!r.ok()) {
      // A conflict is not retried: another manager owns the fields until someone decides.
      std::string hint = Hint(r.status());
      Record(d, hint.empty() ? Outcome::kFailed : Outcome::kNeedsAction,
             "apply " + o.key().ToString() + ": " + r.status().message() + hint);
      return false;
    }
    if (d.action == Action::kUpdate) return RemoveForeignItems(o, d, r.value());
    Record(d, d.action == Action::kCreate ? Outcome::kCreated : Outcome::kConfigured);
    return true;
  }

  // Server-side apply removes only what warren owned. Items another manager added to a keyed list
  // (`kubectl set env FOO=bar`) stay after the apply and are still drift: with force they are
  // removed by a JSON Patch whose `test` ops make it fail rather than remove anything that moved;
  // without force the object needs action, like any other conflict.
  bool RemoveForeignItems(const Object& o, const diff::ObjectDiff& d, const Json& applied) {
    if (o_.dry_run) {
      Record(d, Outcome::kConfigured);
      return true;
    }
    Object after(applied, SourceLocation{"(live)"});
    diff::ObjectDiff left = diff::DiffObject(o, &after, {});
    Json ops = Json::array();
    std::vector<std::string> fields;
    std::vector<const diff::Change*> removals;
    for (const diff::Change& c : left.changes)
      if (c.op == diff::Op::kRemove && !c.masked) removals.push_back(&c);
    if (removals.empty()) {
      Record(d, Outcome::kConfigured);
      return true;
    }
    // Later array indexes first, so earlier removals do not shift the ones after them.
    std::sort(removals.begin(), removals.end(),
              [](const diff::Change* a, const diff::Change* b) { return a->path > b->path; });
    for (const diff::Change* c : removals) {
      ops.push_back({{"op", "test"}, {"path", c->path}, {"value", c->from}});
      ops.push_back({{"op", "remove"}, {"path", c->path}});
      fields.push_back(c->field);
    }
    std::string list;
    for (const auto& f : fields) list += (list.empty() ? "" : ", ") + f;
    if (!Force(o)) {
      Record(d, Outcome::kNeedsAction,
             "applied, but " + list +
                 " was added by another manager; force-conflicts (or the annotation "
                 "warren.io/force-conflicts: \"true\") removes it");
      return false;
    }
    auto r = c_.Resolve(o.api_version(), o.kind());
    auto patched = r.ok() ? c_.JsonPatch(r.value(), o.ns(), o.name(), ops) : Result<Json>(r.status());
    if (!patched.ok()) {
      Record(d, Outcome::kFailed, "remove " + list + " from " + o.key().ToString() + ": " + patched.status().message());
      return false;
    }
    Record(d, Outcome::kConfigured, "removed " + list + " (added by another manager)");
    return true;
  }

  // Deletes and waits until the object is gone (or the timeout passes).
  Status DeleteAndWait(const Object& live, const std::string& propagation) {
    WARREN_ASSIGN_OR_RETURN(auto r, c_.Resolve(live.api_version(), live.kind()));
    std::string uid = StringField(Field(live.doc(), "metadata"), "uid");
    WARREN_RETURN_IF_ERROR(c_.Delete(r, live.ns(), live.name(), propagation, uid));
    auto deadline = clock_.Now() + o_.timeout;
    while (clock_.Now() < deadline) {
      WARREN_ASSIGN_OR_RETURN(auto got, c_.Get(r, live.ns(), live.name()));
      if (!got) return Status::Ok();
      if (!clock_.SleepFor(std::chrono::milliseconds(100), stop_))
        return Status::Cancelled("stopped while waiting for the deletion");
    }
    return Status::Unavailable(live.key().ToString() + " is still there " + std::to_string(o_.timeout.count()) +
                               " s after its deletion");
  }

  // Larger storage in a volumeClaimTemplate: every existing claim of that template asks for it too.
  Status ExpandClaims(const Object& desired, const Object& live, int* expanded) {
    WARREN_ASSIGN_OR_RETURN(auto pvc, c_.Resolve("v1", "PersistentVolumeClaim"));
    const Json& templates = Field(Field(desired.doc(), "spec"), "volumeClaimTemplates");
    const Json& live_templates = Field(Field(live.doc(), "spec"), "volumeClaimTemplates");
    if (!templates.is_array()) return Status::Ok();
    for (const Json& t : templates) {
      std::string name = StringField(Field(t, "metadata"), "name");
      const Json& want_q = Field(Field(Field(Field(t, "spec"), "resources"), "requests"), "storage");
      auto want = ParseQuantity(want_q);
      if (!want) continue;
      for (const Json& lt : live_templates.is_array() ? live_templates : Json::array()) {
        if (StringField(Field(lt, "metadata"), "name") != name) continue;
        auto had = ParseQuantity(Field(Field(Field(Field(lt, "spec"), "resources"), "requests"), "storage"));
        if (!had || *want <= *had) continue;
        WARREN_ASSIGN_OR_RETURN(auto claims, c_.List(pvc, desired.ns()));
        for (const Json& claim : claims) {
          std::string claim_name = StringField(Field(claim, "metadata"), "name");
          if (claim_name.rfind(name + "-" + desired.name() + "-", 0) != 0) continue;
          Json patch = {{"apiVersion", "v1"},
                        {"kind", "PersistentVolumeClaim"},
                        {"metadata", {{"name", claim_name}, {"namespace", desired.ns()}}},
                        {"spec", {{"resources", {{"requests", {{"storage", want_q}}}}}}}};
          auto r = c_.Apply(patch, {/*force=*/true, o_.dry_run});
          if (!r.ok()) return r.status().WithContext("expand claim " + claim_name);
          ++*expanded;
        }
      }
    }
    return Status::Ok();
  }

  bool Recreate(const Object& o, const diff::ObjectDiff& d, const Object* live) {
    bool sts = o.group() == "apps" && o.kind() == "StatefulSet";
    bool binding =
        o.group() == "rbac.authorization.k8s.io" && (o.kind() == "RoleBinding" || o.kind() == "ClusterRoleBinding");
    if (!sts && !binding && Annotation(o, "warren.io/recreate") != "true") {
      Record(d, Outcome::kNeedsAction,
             d.reason + " (annotate warren.io/recreate: \"true\" to allow delete and re-create)");
      return false;
    }
    if (!live) return Apply(o, d);
    // Deleting is only safe when the new object can be created: one the API server would refuse
    // (a field of the wrong type) would leave nothing behind (found while fuzzing lint).
    if (auto bad = check::ShapeProblem(o)) {
      Record(d, Outcome::kFailed,
             "not re-created, nothing deleted: " + (bad->first.empty() ? std::string("a field") : bad->first) + " is " +
                 bad->second);
      return false;
    }
    int expanded = 0;
    if (sts) {
      Status s = ExpandClaims(o, *live, &expanded);
      if (!s.ok()) {
        Record(d, Outcome::kFailed, s.message());
        return false;
      }
    }
    if (o_.dry_run) {
      auto r = c_.Apply(o.doc(), {Force(o), /*dry_run=*/true});
      (void)r;  // the server refuses the immutable change in a dry run; the plan stands
      Record(d, Outcome::kRecreated,
             sts ? "would orphan its pods and claims, re-create, and adopt them" : "would delete and re-create");
      return true;
    }
    Status del = DeleteAndWait(*live, sts ? "Orphan" : "Background");
    if (!del.ok()) {
      Record(d, Outcome::kFailed, "delete " + o.key().ToString() + " to re-create it: " + del.message());
      return false;
    }
    auto r = c_.Apply(o.doc(), {Force(o), false});
    if (!r.ok()) {
      Record(d, Outcome::kFailed,
             "re-create " + o.key().ToString() + " (deleted; pods and claims kept): " + r.status().message());
      return false;
    }
    std::string msg = sts ? "pods and claims kept and adopted" +
                                (expanded ? "; " + std::to_string(expanded) + " claim(s) expanded" : std::string())
                          : d.reason;
    Record(d, Outcome::kRecreated, msg);
    return true;
  }

  // Waits until each StatefulSet, claim and Service is ready. A request that fails while waiting
  // is a failure of that object (never taken for "ready"), as is one gone since it was applied.
  void WaitReady(const std::vector<const Object*>& objects) {
    auto deadline = clock_.Now() + o_.timeout;
    auto endpoints = c_.Resolve("v1", "Endpoints");
    for (const Object* o : objects) {
      if (o->kind() != "StatefulSet" && o->kind() != "PersistentVolumeClaim" && o->kind() != "Service") continue;
      auto r = c_.Resolve(o->api_version(), o->kind());
      if (!r.ok()) {
        NotReady(*o, "cannot wait for readiness: " + r.status().message());
        continue;
      }
      if (o->kind() == "Service" && !endpoints.ok()) {
        NotReady(*o, "cannot wait for readiness: " + endpoints.status().message());
        continue;
      }
      diff::Readiness last;
      while (true) {
        auto got = c_.Get(r.value(), o->ns(), o->name());
        if (!got.ok() || !got.value()) {
          NotReady(*o, got.ok()
                           ? std::string("gone while waiting for readiness")
                           : "cannot wait for readiness: read " + o->key().ToString() + ": " + got.status().message());
          break;
        }
        std::optional<Json> ep;
        if (o->kind() == "Service") {
          auto e = c_.Get(endpoints.value(), o->ns(), o->name());
          if (!e.ok()) {
            NotReady(*o, "cannot wait for readiness: read Endpoints " + o->ns() + "/" + o->name() + ": " +
                             e.status().message());
            break;
          }
          ep = e.value();
        }
        last = diff::JudgeReadiness(*got.value(), ep ? &*ep : nullptr);
        if (last.ready) break;
        bool timed_out = clock_.Now() > deadline;
        if (timed_out || stop_.stop_requested()) {
          NotReady(*o, (timed_out ? "not ready after " + std::to_string(o_.timeout.count()) + " s: "
                                  : std::string("stopped while waiting for readiness: ")) +
                           last.waiting_for);
          if (!timed_out) return;
          break;
        }
        if (o_.progress) o_.progress("waiting for " + o->key().ToString() + ": " + last.waiting_for);
        clock_.SleepFor(std::chrono::milliseconds(250), stop_);
      }
    }
  }
  void NotReady(const Object& o, std::string message) {
    ApplyResult res;
    res.object.key = o.key();
    res.object.api_version = o.api_version();
    res.object.action = Action::kUpdate;
    res.outcome = Outcome::kFailed;
    res.message = std::move(message);
    report_.results.push_back(std::move(res));
  }

  // Absent (a first run) is an empty inventory; anything else that is not a readable list is an error.
  Status LoadInventory() {
    WARREN_ASSIGN_OR_RETURN(auto inventory, ReadInventory(c_, o_.inventory_namespace, o_.inventory_name));
    old_inventory_ = std::move(inventory);
    inventory_exists_ = !old_inventory_.empty();  // an empty one is written again: harmless, and rare
    recorded_ = old_inventory_;
    if (o_.partial) inventory_ = old_inventory_;  // what is not in `desired` stays recorded
    return Status::Ok();
  }

  void Prune(const std::vector<Object>& desired) {
    std::set<ResourceKey> wanted;
    for (const Object& o : desired) wanted.insert(o.key());
    std::vector<std::pair<ResourceKey, std::string>> gone;
    for (const auto& [k, v] : old_inventory_)
      if (!wanted.count(k)) gone.emplace_back(k, v);
    // Reverse apply order: StatefulSets before the Services and RBAC they use.
    std::stable_sort(gone.begin(), gone.end(), [](const auto& a, const auto& b) {
      return diff::ApplyRank(a.first.group, a.first.kind) > diff::ApplyRank(b.first.group, b.first.kind);
    });
    for (const auto& [k, api_version] : gone) {
      diff::ObjectDiff d;
      d.key = k;
      d.api_version = api_version;
      d.action = Action::kPrune;
      if (diff::PruneDecision never = diff::JudgePrune(k, nullptr);
          never.verdict == diff::PruneVerdict::kNeverDeleted) {
        Record(d, Outcome::kLeftInPlace, never.reason);
        continue;  // and forgotten: it is no longer warren's
      }
      if (!o_.prune) {
        Record(d, Outcome::kLeftInPlace, diff::kPruneOff);
        inventory_[k] = api_version;
        continue;
      }
      auto r = c_.Resolve(api_version, k.kind);
      if (!r.ok()) {
        Record(d, Outcome::kFailed, r.status().message());
        inventory_[k] = api_version;
        continue;
      }
      auto live = c_.Get(r.value(), k.ns, k.name);
      if (!live.ok()) {
        Record(d, Outcome::kFailed, live.status().message());
        inventory_[k] = api_version;
        continue;
      }
      diff::PruneDecision verdict = diff::JudgePrune(k, live.value() ? &*live.value() : nullptr);
      if (verdict.verdict == diff::PruneVerdict::kGone) continue;  // already gone
      if (verdict.verdict != diff::PruneVerdict::kPrune) {
        Record(d, Outcome::kLeftInPlace, verdict.reason);  // and forgotten
        continue;
      }
      Object l(*live.value(), SourceLocation{"(live)"});
      if (o_.dry_run) {
        Record(d, Outcome::kPruned);
        inventory_[k] = api_version;
        continue;
      }
      Status s = c_.Delete(r.value(), k.ns, k.name, "Background", StringField(Field(l.doc(), "metadata"), "uid"));
      if (s.ok()) {
        Record(d, Outcome::kPruned);
      } else {
        Record(d, Outcome::kFailed,
               "prune " + k.ToString() + ": " + s.message() + " (kept in the inventory, retried next time)");
        inventory_[k] = api_version;
      }
    }
  }

  // Write-ahead: what is recorded plus everything this run may create, before the first such write.
  Status RecordIntent(const std::vector<Object>& desired) {
    intent_recorded_ = true;
    if (o_.dry_run) return Status::Ok();
    std::map<ResourceKey, std::string> intent = recorded_;
    for (const Object& o : desired)
      if (Annotation(o, "warren.io/reconcile") != "disabled") intent[o.key()] = o.api_version();
    if (intent == recorded_ && inventory_exists_) return Status::Ok();
    WARREN_RETURN_IF_ERROR(WriteInventory(intent));
    recorded_ = std::move(intent);
    return Status::Ok();
  }

  // What this run ended with: applied or unchanged, kept, or failed to prune.
  void SaveInventory() {
    if (o_.dry_run) return;
    if (inventory_ == recorded_ && inventory_exists_) return;
    // Written even when stopped: it must not lose what this run applied.
    Status s = WriteInventory(inventory_);
    if (!s.ok()) {
      ApplyResult res;
      res.object.key = InventoryKey();
      res.outcome = Outcome::kFailed;
      res.message = "record the inventory: " + s.message();
      report_.results.push_back(std::move(res));
    }
  }

  Status WriteInventory(const std::map<ResourceKey, std::string>& entries) {
    Json objects = Json::array();
    for (const auto& [k, v] : entries) objects.push_back(InventoryEntry(k, v));
    Json cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata",
                {{"name", o_.inventory_name},
                 {"namespace", o_.inventory_namespace},
                 {"labels", {{diff::kManagedByLabel, "warren"}, {diff::kSourceLabel, o_.source}}}}},
               {"data", {{"objects", objects.dump()}}}};
    WARREN_ASSIGN_OR_RETURN(auto r, writer_->Apply(cm, {/*force=*/true, false}));
    inventory_exists_ = true;
    return Status::Ok();
  }

  kube::Api& c_;
  const KubeStageOptions& o_;
  const StopToken& stop_;
  const Clock& clock_;
  // The inventory write outlives a stop: a view of the client that nothing cancels.
  std::unique_ptr<kube::Api> writer_ = c_.Stoppable(StopToken());
  diff::ApplyReport report_;
  // key → apiVersion: what this run keeps, what it found, and what is stored now.
  std::map<ResourceKey, std::string> inventory_, old_inventory_, recorded_;
  bool inventory_exists_ = false;
  bool intent_recorded_ = false;
};

}  // namespace

Result<Inventory> ReadInventory(kube::Api& client, const std::string& ns, const std::string& name) {
  WARREN_ASSIGN_OR_RETURN(auto cm, client.Resolve("v1", "ConfigMap"));
  auto got = client.Get(cm, ns, name);
  if (!got.ok()) return got.status().WithContext("GET ConfigMap " + ns + "/" + name);
  Inventory out;
  if (!got.value()) return out;
  Json objects = Json::parse(StringField(Field(*got.value(), "data"), "objects"), nullptr, false);
  if (!objects.is_array()) return Status::Invalid("ConfigMap " + ns + "/" + name + ": data.objects is not a JSON list");
  for (const Json& e : objects) {
    auto [group, version] = SplitApiVersion(StringField(e, "apiVersion"));
    out[ResourceKey{group, StringField(e, "kind"), StringField(e, "namespace"), StringField(e, "name")}] =
        StringField(e, "apiVersion");
  }
  return out;
}

Result<std::vector<Object>> PruneCandidates(kube::Api& api, const Inventory& inventory,
                                            const std::vector<Object>& desired, const std::vector<Object>& known) {
  std::set<ResourceKey> wanted;
  for (const Object& o : desired) wanted.insert(o.key());
  std::map<ResourceKey, const Object*> by_key;
  for (const Object& o : known) by_key[o.key()] = &o;
  std::vector<Object> out;
  for (const auto& [key, api_version] : inventory) {
    if (wanted.count(key)) continue;
    std::optional<Object> live;
    if (auto it = by_key.find(key); it != by_key.end()) {
      live = *it->second;
    } else if (!diff::NeverDeleted(key.group, key.kind)) {
      // A kind the cluster cannot resolve is an error, as in sync's prune: not "nothing to prune".
      auto r = api.Resolve(api_version, key.kind);
      if (!r.ok()) return r.status().WithContext("prune candidate " + key.ToString());
      auto got = api.Get(r.value(), r.value().namespaced ? key.ns : "", key.name);
      if (!got.ok()) return got.status().WithContext("read " + key.ToString());
      if (got.value()) live.emplace(std::move(*got.value()), SourceLocation{"(live)"});
    }
    if (diff::JudgePrune(key, live ? &live->doc() : nullptr).verdict == diff::PruneVerdict::kPrune)
      out.push_back(std::move(*live));
  }
  return out;
}

std::string DefaultInventoryNamespace(const std::vector<Object>& desired, const std::string& fallback) {
  std::string shared;
  for (const Object& o : desired) {
    if (o.ns().empty()) continue;  // cluster-scoped
    if (!shared.empty() && o.ns() != shared) return fallback;
    shared = o.ns();
  }
  return shared.empty() ? fallback : shared;
}

Object Owned(Object o, const std::string& source) {
  const Json& has = Field(Field(o.doc(), "metadata"), "labels");
  if (StringField(has, diff::kManagedByLabel) == "warren" && has.contains(diff::kSourceLabel) &&
      StringField(has, diff::kSourceLabel) == source)
    return o;  // already (not copied again: see Object)
  Json& labels = o.mutable_doc()["metadata"]["labels"];
  if (!labels.is_object()) labels = Json::object();
  labels[diff::kManagedByLabel] = "warren";
  labels[diff::kSourceLabel] = source;
  return o;
}

diff::ApplyReport ApplyKubernetes(kube::Api& client, const std::vector<Object>& desired,
                                  const std::vector<Object>& live, const diff::DiffReport& plan,
                                  const KubeStageOptions& options, const StopToken& stop) {
  return Syncer(client, options, stop).Run(desired, live, plan);
}

}  // namespace warren::reconcile
