// An in-memory Kubernetes API (kube::Api) for unit tests: objects keyed by resource, namespace and
// name, a resourceVersion per write from one counter, and the API server's rules that the agent's
// logic depends on: create of an existing object and update with a stale resourceVersion are 409
// Conflict, update of a missing object is 404. Apply stores the object whole (no field
// ownership: tests that need server-side apply semantics use the emulator); a StatefulSet is
// ready as soon as it is stored, as if its controller were instant. Watch lists, then
// streams every later write (label selectors of the k=v form). FailNext makes requests fail as
// an unreachable server does, Refuse makes the server refuse one object. Safe to share between
// threads; Stoppable() views stop their requests (a watch within a few milliseconds).
#pragma once

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "agent/kube/api.h"

namespace warren::testing {

class FakeKube : public kube::Api {
 public:
  Result<kube::ResourceInfo> Resolve(const std::string& api_version, const std::string& kind) override {
    std::lock_guard<std::mutex> lock(mu_);
    WARREN_RETURN_IF_ERROR(Fault("resolve " + kind));
    size_t slash = api_version.find('/');
    kube::ResourceInfo r;
    r.group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    r.version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
    r.kind = kind;
    for (char c : kind) r.resource += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.resource += "s";
    r.namespaced = kind != "Namespace";
    return r;
  }
  Result<std::optional<Json>> Get(const kube::ResourceInfo& r, const std::string& ns,
                                  const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("GET " + r.kind + " " + ns + "/" + name));
    auto it = objects_.find({r.Qualified(), ns, name});
    if (it == objects_.end()) return std::optional<Json>();
    return std::optional<Json>(it->second);
  }
  Result<std::vector<Json>> List(const kube::ResourceInfo& r, const std::string& ns,
                                 const std::string& selector) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("LIST " + r.kind));
    std::vector<Json> out;
    for (const auto& [key, obj] : objects_)
      if (std::get<0>(key) == r.Qualified() && (ns.empty() || std::get<1>(key) == ns) && Selects(selector, obj))
        out.push_back(obj);
    return out;
  }
  Result<Json> Apply(const Json& obj, const kube::ApplyOptions& options) override {
    if (before_apply) before_apply(obj);  // outside the lock: applies may be in flight together
    std::string api_version = StringField(obj, "apiVersion"), kind = StringField(obj, "kind");
    WARREN_ASSIGN_OR_RETURN(auto r, Resolve(api_version, kind));
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("apply " + kind));
    ++applies_[{kind, Name(obj)}];
    if (auto refused = refused_.find({kind, Name(obj)}); refused != refused_.end())
      return Status::Invalid("apply " + kind + " " + Name(obj) + ": 422 Invalid: " + refused->second);
    if (auto owner = conflicts_.find({kind, Name(obj)}); owner != conflicts_.end() && !options.force)
      return Status(StatusCode::kConflict, "apply " + kind + " " + Name(obj) +
                                               ": 409 Conflict: Apply failed with 1 conflict: " + owner->second);
    Json stored = obj;
    if (options.dry_run) return stored;
    return Store(r, stored);
  }
  Result<Json> Create(const kube::ResourceInfo& r, const std::string& ns, const Json& obj) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("POST " + r.kind));
    if (objects_.count({r.Qualified(), ns, Name(obj)}))
      return Status(StatusCode::kConflict,
                    "409 AlreadyExists: " + r.Qualified() + " \"" + Name(obj) + "\" already exists");
    return Store(r, obj);
  }
  Result<Json> Update(const kube::ResourceInfo& r, const std::string& ns, const Json& obj) override {
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hook = std::exchange(before_next_update_, nullptr);
    }
    if (hook) hook();  // another writer gets in between the caller's read and its write
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("PUT " + r.kind));
    auto it = objects_.find({r.Qualified(), ns, Name(obj)});
    if (it == objects_.end())
      return Status::NotFound("404 NotFound: " + r.Qualified() + " \"" + Name(obj) + "\" not found");
    std::string want = StringField(Field(obj, "metadata"), "resourceVersion");
    if (!want.empty() && want != StringField(Field(it->second, "metadata"), "resourceVersion"))
      return Status(StatusCode::kConflict,
                    "409 Conflict: the object has been modified; please apply your changes to "
                    "the latest version and try again");
    return Store(r, obj);
  }
  Status Delete(const kube::ResourceInfo& r, const std::string& ns, const std::string& name, const std::string&,
                const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("DELETE " + r.kind));
    auto it = objects_.find({r.Qualified(), ns, name});
    if (it == objects_.end()) return Status::NotFound("404 NotFound: " + name);
    Json gone = it->second;
    objects_.erase(it);
    gone["metadata"]["resourceVersion"] = std::to_string(++rv_);
    log_.push_back({rv_, "DELETED", r.Qualified(), gone});
    changed_.notify_all();
    return Status::Ok();
  }
  // RFC 6902 as nlohmann::json implements it (a failed `test` is 422, as the API server says).
  Result<Json> JsonPatch(const kube::ResourceInfo& r, const std::string& ns, const std::string& name, const Json& ops,
                         bool dry_run) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("PATCH " + r.kind));
    auto it = objects_.find({r.Qualified(), ns, name});
    if (it == objects_.end()) return Status::NotFound("PATCH " + r.kind + " " + ns + "/" + name + ": 404 NotFound");
    Json patched;
    try {
      patched = it->second.patch(ops);
    } catch (const std::exception& e) {
      return Status::Invalid("PATCH " + r.kind + " " + ns + "/" + name + ": 422 Invalid: " + e.what());
    }
    if (dry_run) return patched;
    return Store(r, std::move(patched));
  }
  // The status replaced whole; the rest of the object kept.
  Result<Json> PatchStatus(const kube::ResourceInfo& r, const std::string& ns, const std::string& name,
                           const Json& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("PATCH " + r.kind + "/status"));
    auto it = objects_.find({r.Qualified(), ns, name});
    if (it == objects_.end()) return Status::NotFound("PATCH " + r.kind + " " + ns + "/" + name + ": 404 NotFound");
    Json next = it->second;
    next["status"] = status;
    return Store(r, std::move(next));
  }
  Status Watch(const kube::ResourceInfo& r, kube::WatchRequest& w,
               const std::function<bool(const std::string&, const Json&)>& on_event) override {
    return WatchUntil(r, w, on_event, StopToken());
  }
  std::unique_ptr<kube::Api> Stoppable(StopToken stop) const override;
  std::string Server() const override { return "https://fake-kube"; }
  std::string DefaultNamespace() const override { return "default"; }

  // The requests of a Stoppable() view: kCancelled once `stop` fires.
  Status WatchUntil(const kube::ResourceInfo& r, kube::WatchRequest& w,
                    const std::function<bool(const std::string&, const Json&)>& on_event, const StopToken& stop) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(w.timeout_seconds);
    std::unique_lock<std::mutex> lock(mu_);
    WARREN_RETURN_IF_ERROR(Fault("watch " + r.kind));
    const int generation = watch_generation_;
    if (w.resource_version.empty()) {  // the current state first
      std::vector<Json> items;
      for (const auto& [key, obj] : objects_)
        if (std::get<0>(key) == r.Qualified() && (w.ns.empty() || std::get<1>(key) == w.ns) &&
            Selects(w.label_selector, obj))
          items.push_back(obj);
      w.resource_version = std::to_string(rv_);
      lock.unlock();
      if (w.on_relist) w.on_relist();
      for (const Json& o : items)
        if (!on_event("ADDED", o)) return Status::Ok();
      if (w.on_synced) w.on_synced();
      lock.lock();
    }
    while (true) {
      if (stop.stop_requested()) return Status::Cancelled("watch " + r.Qualified() + ": stopped");
      if (watch_generation_ != generation)
        return Status::Unavailable("watch " + r.Qualified() + ": connection reset (fake)");
      if (std::chrono::steady_clock::now() >= deadline) return Status::Ok();
      long long from = std::stoll(w.resource_version);
      std::vector<Change> due;
      for (const Change& c : log_)
        if (c.rv > from && c.resource == r.Qualified() &&
            (w.ns.empty() || StringField(Field(c.object, "metadata"), "namespace") == w.ns) &&
            Selects(w.label_selector, c.object))
          due.push_back(c);
      if (!log_.empty()) w.resource_version = std::to_string(std::max(from, log_.back().rv));
      if (due.empty()) {
        changed_.wait_for(lock, std::chrono::milliseconds(5));  // and look at the stop again
        continue;
      }
      lock.unlock();
      for (const Change& c : due)
        if (!on_event(c.type, c.object)) return Status::Ok();
      lock.lock();
    }
  }

  // The next `n` requests fail as when the server cannot be reached (kUnavailable); -1: until
  // set back to 0.
  void FailNext(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_ = n;
  }
  // Runs `f` once, just before the next Update is handled: a write that races the caller's.
  void BeforeNextUpdate(std::function<void()> f) {
    std::lock_guard<std::mutex> lock(mu_);
    before_next_update_ = std::move(f);
  }
  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Every watch now open fails, as when the connection to the server drops.
  void BreakWatches() {
    std::lock_guard<std::mutex> lock(mu_);
    ++watch_generation_;
    changed_.notify_all();
  }
  // Every apply of (kind, name) is refused as the API server refuses an invalid object (422).
  void Refuse(const std::string& kind, const std::string& name, const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    refused_[{kind, name}] = why;
  }
  // Every apply of (kind, name) without force is a server-side apply conflict: another manager
  // owns a field it sets (`why` names it, as the API server does). Cleared by Conflict(.., "").
  void Conflict(const std::string& kind, const std::string& name, const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    if (why.empty())
      conflicts_.erase({kind, name});
    else
      conflicts_[{kind, name}] = why;
  }
  // How many applies of (kind, name) arrived, refused or not.
  int applies(const std::string& kind, const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = applies_.find({kind, name});
    return it == applies_.end() ? 0 : it->second;
  }
  // Called at the start of every Apply, on the caller's thread and outside the fake's lock (set
  // it before the fake is shared).
  std::function<void(const Json&)> before_apply;
  // Off: a StatefulSet keeps the status it has (see Put), and an apply that changes its spec bumps
  // metadata.generation as the API server does: the test plays the controller.
  bool instant_statefulsets = true;
  // Stores `obj` as it is (a pod, a StatefulSet's status): what a controller would write.
  void Put(const std::string& api_version, const std::string& kind, Json obj) {
    auto r = Resolve(api_version, kind);
    std::lock_guard<std::mutex> lock(mu_);
    Store(r.value(), std::move(obj), /*as_controller=*/true);
  }
  // The stored object, or null.
  Json Stored(const std::string& qualified_resource, const std::string& ns, const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find({qualified_resource, ns, name});
    return it == objects_.end() ? Json() : it->second;
  }
  // Waits (real time, at most `timeout`) until `done` holds of the store; checked after every write.
  bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      long long seen = rv_;  // a write while `done` runs is not missed
      lock.unlock();
      if (done()) return true;
      lock.lock();
      if (!changed_.wait_until(lock, deadline, [&] { return rv_ != seen; })) {
        lock.unlock();
        return done();
      }
    }
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // resource.group, namespace, name
  static std::string Name(const Json& obj) { return StringField(Field(obj, "metadata"), "name"); }
  Status Fault(const std::string& what) {
    if (fail_next_ == 0) return Status::Ok();
    if (fail_next_ > 0) --fail_next_;
    return Status::Unavailable(what + ": cannot reach the Kubernetes API (fake)");
  }
  struct Change {
    long long rv;
    std::string type, resource;
    Json object;
  };
  // "k=v,k2=v2" against the object's labels ("" selects everything).
  static bool Selects(const std::string& selector, const Json& obj) {
    const Json& labels = Field(Field(obj, "metadata"), "labels");
    size_t start = 0;
    while (start < selector.size()) {
      size_t end = selector.find(',', start);
      if (end == std::string::npos) end = selector.size();
      std::string term = selector.substr(start, end - start);
      size_t eq = term.find('=');
      std::string label = term.substr(0, eq);
      if (eq != std::string::npos && StringField(labels, label.c_str()) != term.substr(eq + 1)) return false;
      start = end + 1;
    }
    return true;
  }
  Json Store(const kube::ResourceInfo& r, Json obj, bool as_controller = false) {
    obj["metadata"]["resourceVersion"] = std::to_string(++rv_);
    Key at{r.Qualified(), StringField(obj["metadata"], "namespace"), Name(obj)};
    if (r.kind == "StatefulSet" && !instant_statefulsets && !as_controller) {
      auto old = objects_.find(at);
      long generation = old == objects_.end() ? 1 : old->second["metadata"].value("generation", 1L);
      if (old != objects_.end() && Field(old->second, "spec") != Field(obj, "spec")) ++generation;
      obj["metadata"]["generation"] = generation;
      if (old != objects_.end() && old->second.contains("status")) obj["status"] = old->second["status"];
    } else if (r.kind == "StatefulSet" && instant_statefulsets) {  // an instant controller: every replica ready at once
      int replicas = Field(obj, "spec").value("replicas", 1);
      obj["status"] = {{"observedGeneration", 1},     {"replicas", replicas},    {"readyReplicas", replicas},
                       {"updatedReplicas", replicas}, {"currentRevision", "r1"}, {"updateRevision", "r1"}};
    }
    Key key{r.Qualified(), StringField(obj["metadata"], "namespace"), Name(obj)};
    log_.push_back({rv_, objects_.count(key) ? "MODIFIED" : "ADDED", r.Qualified(), obj});
    objects_[key] = obj;
    changed_.notify_all();
    return obj;
  }

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::vector<Change> log_;
  int watch_generation_ = 0;
  std::map<std::pair<std::string, std::string>, std::string> refused_;    // (kind, name) → why
  std::map<std::pair<std::string, std::string>, std::string> conflicts_;  // (kind, name) → the conflict
  std::map<std::pair<std::string, std::string>, int> applies_;
  std::map<Key, Json> objects_;
  long long rv_ = 100;
  int fail_next_ = 0;
  std::function<void()> before_next_update_;
  int requests_ = 0;
};

// FakeKube's requests, stopped by a token (what Stoppable() gives).
class StoppableFakeKube : public kube::Api {
 public:
  StoppableFakeKube(FakeKube* fake, StopToken stop) : fake_(fake), stop_(std::move(stop)) {}
  Result<kube::ResourceInfo> Resolve(const std::string& v, const std::string& k) override {
    WARREN_RETURN_IF_ERROR(Stopped());
    return fake_->Resolve(v, k);
  }
  Result<std::optional<Json>> Get(const kube::ResourceInfo& r, const std::string& ns, const std::string& n) override {
    WARREN_RETURN_IF_ERROR(Stopped());
    return fake_->Get(r, ns, n);
  }
  Result<std::vector<Json>> List(const kube::ResourceInfo& r, const std::string& ns, const std::string& s) override {
    WARREN_RETURN_IF_ERROR(Stopped());
    return fake_->List(r, ns, s);
  }
  Result<Json> Apply(const Json& obj, const kube::ApplyOptions& o) override {
    WARREN_RETURN_IF_ERROR(Stopped());
    return fake_->Apply(obj, o);
  }
  Result<Json> Create(const kube::ResourceInfo& r, const std::string& ns, const Json& obj) override {
    WARREN_RETURN_IF_ERROR(Stopped());
    return fake_->Create(r, ns, obj);
  }
  Result<Json> Update(const kube::ResourceInfo& r, const std::string& ns, const Json& obj) override {
    WARREN_RETURN_IF_ERROR(Stopped());
    return fake_->Update(r, ns, obj);
  }
  Status Delete(const kube::ResourceInfo& r, const std::string& ns, const std::string& n, const std::string& p,
                const std::string& u) override {
    WARREN_RETURN_IF_ERROR(Stopped());
    return fake_->Delete(r, ns, n, p, u);
  }
  Result<Json> JsonPatch(const kube::ResourceInfo& r, const std::string& ns, const std::string& n, const Json& ops,
                         bool dry_run) override {
    return fake_->JsonPatch(r, ns, n, ops, dry_run);
  }
  Result<Json> PatchStatus(const kube::ResourceInfo& r, const std::string& ns, const std::string& n,
                           const Json& status) override {
    WARREN_RETURN_IF_ERROR(Stopped());
    return fake_->PatchStatus(r, ns, n, status);
  }
  Status Watch(const kube::ResourceInfo& r, kube::WatchRequest& w,
               const std::function<bool(const std::string&, const Json&)>& on_event) override {
    return fake_->WatchUntil(r, w, on_event, stop_);
  }
  std::unique_ptr<kube::Api> Stoppable(StopToken stop) const override { return fake_->Stoppable(std::move(stop)); }
  std::string Server() const override { return fake_->Server(); }
  std::string DefaultNamespace() const override { return fake_->DefaultNamespace(); }

 private:
  Status Stopped() const { return stop_.stop_requested() ? Status::Cancelled("request stopped (fake)") : Status::Ok(); }
  FakeKube* fake_;
  StopToken stop_;
};

inline std::unique_ptr<kube::Api> FakeKube::Stoppable(StopToken stop) const {
  return std::make_unique<StoppableFakeKube>(const_cast<FakeKube*>(this), std::move(stop));
}

}  // namespace warren::testing
