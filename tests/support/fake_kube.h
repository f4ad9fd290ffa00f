// An in-memory Kubernetes API (kube::Api) for unit tests: objects keyed by resource, namespace and
// name, a resourceVersion per write from one counter, and the API server's rules that the agent's
// logic depends on: create of an existing object and update with a stale resourceVersion are 409
// Conflict, update of a missing object is 404. Apply stores the object whole (no field
// ownership: tests that need server-side apply semantics use the emulator). fail_next makes
// requests fail as an unreachable server does. Safe to share between threads.
#pragma once

#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

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
  Result<std::vector<Json>> List(const kube::ResourceInfo& r, const std::string& ns, const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("LIST " + r.kind));
    std::vector<Json> out;
    for (const auto& [key, obj] : objects_)
      if (std::get<0>(key) == r.Qualified() && (ns.empty() || std::get<1>(key) == ns)) out.push_back(obj);
    return out;
  }
  Result<Json> Apply(const Json& obj, const kube::ApplyOptions& options) override {
    std::string api_version = StringField(obj, "apiVersion"), kind = StringField(obj, "kind");
    WARREN_ASSIGN_OR_RETURN(auto r, Resolve(api_version, kind));
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    WARREN_RETURN_IF_ERROR(Fault("apply " + kind));
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
    if (!objects_.erase({r.Qualified(), ns, name})) return Status::NotFound("404 NotFound: " + name);
    return Status::Ok();
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

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // resource.group, namespace, name
  static std::string Name(const Json& obj) { return StringField(Field(obj, "metadata"), "name"); }
  Status Fault(const std::string& what) {
    if (fail_next_ == 0) return Status::Ok();
    if (fail_next_ > 0) --fail_next_;
    return Status::Unavailable(what + ": cannot reach the Kubernetes API (fake)");
  }
  Json Store(const kube::ResourceInfo& r, Json obj) {
    obj["metadata"]["resourceVersion"] = std::to_string(++rv_);
    objects_[{r.Qualified(), StringField(obj["metadata"], "namespace"), Name(obj)}] = obj;
    return obj;
  }

  mutable std::mutex mu_;
  std::map<Key, Json> objects_;
  long long rv_ = 100;
  int fail_next_ = 0;
  std::function<void()> before_next_update_;
  int requests_ = 0;
};

}  // namespace warren::testing
