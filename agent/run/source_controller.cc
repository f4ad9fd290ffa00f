#include "agent/run/source_controller.h"

#include <sys/stat.h>

#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include "agent/rabbitmq/connect.h"
#include "agent/reconcile/reconcile.h"
#include "agent/run/source_status.h"
#include "diff/model/base64.h"

namespace warren::run {
namespace fs = std::filesystem;

namespace {

// Writes `text` to `path` readable by the agent alone (0600 in a 0700 directory).
Status WritePrivate(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Status::Io("cannot create " + path.parent_path().string() + ": " + ec.message());
  chmod(path.parent_path().c_str(), 0700);
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    chmod(tmp.c_str(), 0600);
    out << text;
    if (!out) return Status::Io("cannot write " + tmp.string());
  }
  fs::rename(tmp, path, ec);  // a reader sees the old file or the new one, never half of one
  if (ec) return Status::Io("cannot write " + path.string() + ": " + ec.message());
  return Status::Ok();
}

std::string Now() { return UtcTimestamp(0); }  // metav1.Time: seconds

}  // namespace

// The WarrenSource's status, written through its status subresource off the loop's threads: the
// lanes report and go on; the latest status is written once the previous write is done.
class SourceController::StatusWriter : public forge::StatusSink {
 public:
  StatusWriter(std::unique_ptr<kube::Api> kube, kube::ResourceInfo r, const WarrenSource& w, Json status,
               const Logger* log)
      : kube_(std::move(kube)),
        r_(std::move(r)),
        ns_(w.ns),
        name_(w.name),
        generation_(w.generation),
        suspended_(w.spec.suspend),
        status_(std::move(status)),
        log_(log) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~StatusWriter() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Report(const std::string& sha, const std::string& context, forge::State state,
              const std::string& description) override {
    Update([&](Json& s) {
      s = NextSourceStatus(s, {sha, context, state, description}, generation_, suspended_, Now());
      // A reconcile request is handled once a full reconcile that started after it has ended
      // (or the source could not be read at all): `warren reconcile` waits for exactly that.
      if (requested_.empty()) return;
      if (context == "warren/sync" && state == forge::State::kPending) {
        armed_ = true;
      } else if ((context == "warren/sync" && armed_) || context == "warren/source") {
        s["lastHandledReconcileAt"] = requested_;
        requested_.clear();
        armed_ = false;
      }
    });
  }
  // A reconcile was asked for with this annotation value.
  void Requested(const std::string& value) {
    std::lock_guard<std::mutex> lock(mu_);
    requested_ = value;
    armed_ = false;
  }
  void Update(const std::function<void(Json&)>& change) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      Json before = status_;
      change(status_);
      if (status_ == before) return;
      dirty_ = true;
    }
    cv_.notify_all();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return dirty_ || done_; });
      if (!dirty_) return;  // done, nothing left to write
      Json status = status_;
      dirty_ = false;
      lock.unlock();
      auto written = kube_->PatchStatus(r_, ns_, name_, status);
      lock.lock();
      if (written.ok() || written.status().code() == StatusCode::kNotFound) continue;  // gone: nothing to say
      if (written.status().code() == StatusCode::kCancelled) return;
      log_->Warn("status not written", {{"warrensource", ns_ + "/" + name_}, {"error", written.status().message()}});
      dirty_ = true;  // tried again after a pause, with whatever is newest then
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return done_; });
      if (done_) return;
    }
  }

  std::unique_ptr<kube::Api> kube_;
  kube::ResourceInfo r_;
  std::string ns_, name_;
  long long generation_;
  bool suspended_;
  std::mutex mu_;
  std::condition_variable cv_;
  Json status_;
  bool dirty_ = false, done_ = false;
  std::string requested_;  // a reconcile request not yet handled
  bool armed_ = false;     // ... whose reconcile has started
  const Logger* log_;
  std::thread thread_;
};

struct SourceController::Running {
  WarrenSource source;
  std::unique_ptr<kube::Api> client;             // the source's requests (impersonating, when it says so)
  std::unique_ptr<forge::StatusReporter> forge;  // its own commit statuses, when it has them
  std::unique_ptr<StatusWriter> status;
  std::unique_ptr<SourceLoop> loop;
  StopSource stop;  // the loop's: a child of the term
  std::thread thread;
};

SourceController::SourceController(SourceControllerOptions options, SourceContext ctx, ClientFor client_for)
    : options_(std::move(options)), ctx_(std::move(ctx)), client_for_(std::move(client_for)) {}

SourceController::~SourceController() { StopAll(); }

void SourceController::StopAll() {
  std::vector<std::string> keys;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, r] : running_) keys.push_back(k);
  }
  for (const std::string& k : keys) Stop(k);
}

size_t SourceController::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.size();
}

void SourceController::ForEach(const std::function<void(SourceLoop&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, r] : running_)
    if (r->loop) fn(*r->loop);
}

void SourceController::Run(const StopSource& term) {
  const StopToken stop = term.token();
  std::chrono::milliseconds backoff{0};
  auto fail = [&](const std::string& what, const Status& s) {
    backoff = std::min<std::chrono::milliseconds>(backoff.count() ? backoff * 2 : std::chrono::milliseconds(1000),
                                                  ctx_.agent->max_backoff);
    ctx_.log->Warn(what, {{"error", s.message()}, {"retryIn", std::to_string(backoff.count() / 1000.0) + "s"}});
    (ctx_.clock ? *ctx_.clock : Clock::Real()).SleepFor(backoff, stop);
  };
  while (!stop.stop_requested()) {
    auto resolved = ctx_.kube->Resolve(kWarrenSourceApiVersion, kWarrenSourceKind);
    if (resolved.ok()) {
      resource_ = resolved.value();
      break;
    }
    fail("WarrenSources not served (is deploy/crd-warrensource.yaml applied?)", resolved.status());
  }
  std::unique_ptr<kube::Api> watcher = ctx_.kube->Stoppable(stop);
  std::set<std::string> listed;
  kube::WatchRequest req;
  req.ns = options_.ns;
  req.timeout_seconds = ctx_.agent->watch_seconds;
  req.on_relist = [&] { listed.clear(); };
  req.on_synced = [&] {
    // Gone while nobody watched: stopped as if deleted.
    std::vector<std::string> gone;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [key, r] : running_)
        if (!listed.count(key)) gone.push_back(key);
    }
    for (const std::string& key : gone) Stop(key);
  };
  while (!stop.stop_requested() && !resource_.kind.empty()) {
    Status watched = watcher->Watch(resource_, req, [&](const std::string& type, const Json& obj) {
      const Json meta = obj.value("metadata", Json::object());
      const std::string key = meta.value("namespace", "") + "/" + meta.value("name", "");
      if (type == "DELETED") {
        ctx_.log->Info("warrensource deleted: its loop stopped", {{"warrensource", key}});
        Stop(key);
        std::lock_guard<std::mutex> lock(mu_);
        invalid_.erase(key);
      } else {
        listed.insert(key);
        Apply(obj, term);
      }
      return !stop.stop_requested();
    });
    if (stop.stop_requested()) break;
    if (watched.ok()) {
      backoff = std::chrono::milliseconds(0);
      continue;
    }
    fail("watch of WarrenSources failed, retrying", watched);
  }
  StopAll();
}

void SourceController::Apply(const Json& obj, const StopSource& term) {
  auto decoded = DecodeWarrenSource(obj, options_.defaults, options_.state_dir);
  const Json meta = obj.value("metadata", Json::object());
  const std::string key = meta.value("namespace", "") + "/" + meta.value("name", "");
  const long long generation = meta.value("generation", 0LL);
  const Json status = obj.value("status", Json::object());
  if (meta.contains("deletionTimestamp")) {  // deleted, waiting for its finalizers
    Stop(key);
    Finalize(obj, term);
    return;
  }
  if (decoded.ok()) KeepFinalizer(obj, decoded.value().spec.prune, term.token());
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find(key);
    if (it != running_.end() && it->second->source.generation == generation &&
        it->second->source.uid == meta.value("uid", "")) {
      // The same spec: only a reconcile request is news.
      Running& r = *it->second;
      if (decoded.ok() && !decoded.value().requested_at.empty() &&
          decoded.value().requested_at != r.source.requested_at) {
        r.source.requested_at = decoded.value().requested_at;
        if (!r.source.spec.suspend) {
          r.status->Requested(r.source.requested_at);
          r.loop->Trigger("reconcile requested at " + r.source.requested_at, true);
        }
      }
      return;
    }
    if (it == running_.end() && !decoded.ok() && invalid_.count(key) && invalid_[key] == generation) return;
  }
  Stop(key);  // a new spec: the old loop goes first
  if (!decoded.ok()) {
    ctx_.log->Error("warrensource cannot run", {{"warrensource", key}, {"error", decoded.status().message()}});
    SayStatus(obj, InvalidSourceStatus(status, generation, "InvalidSpec", decoded.status().message(), Now()),
              term.token());
    std::lock_guard<std::mutex> lock(mu_);
    invalid_[key] = generation;
    return;
  }
  WarrenSource w = std::move(decoded).value();
  auto run = std::make_unique<Running>();
  run->source = w;
  run->client = client_for_(w.User());
  Json started = StartedSourceStatus(status, w.generation, w.spec.suspend, Now());
  const bool request_pending = !w.requested_at.empty() && status.value("lastHandledReconcileAt", "") != w.requested_at;
  run->status = std::make_unique<StatusWriter>(ctx_.kube->Stoppable(term.token()), resource_, w, status, ctx_.log);
  run->status->Update([&](Json& s) { s = started; });
  // A request made while no loop ran (or with a new spec) is handled by the loop's first reconcile.
  if (request_pending && !w.spec.suspend) run->status->Requested(w.requested_at);

  SourceContext ctx = ctx_;
  ctx.kube = run->client.get();
  ctx.source_status = run->status.get();
  if (w.statuses) {  // its own forge settings: the agent's are not for its commits
    ctx.statuses = nullptr;
    Status made = WriteForgeToken(w);
    if (made.ok()) {
      forge::StatusOptions so = *w.statuses;
      const Logger* log = ctx_.log;
      so.log = [log, key](const std::string& msg, const std::string& detail) {
        log->Warn(msg, {{"warrensource", key}, {"detail", detail}});
      };
      auto reporter = forge::StatusReporter::Create(so);
      if (reporter.ok())
        run->forge = std::move(reporter).value();
      else
        made = reporter.status();
    }
    if (made.ok())
      ctx.statuses = run->forge.get();
    else
      ctx_.log->Error("warrensource runs without commit statuses", {{"warrensource", key}, {"error", made.message()}});
  }
  ctx.on_first_reconcile = nullptr;
  // Credentials are read from their Secrets at every poll and connect: a rotated Secret needs no
  // restart, a missing one is the poll's error (Ready False, retried with backoff).
  // The forge token too (the reporter reads its file before each post); a Secret gone missing
  // leaves the last token in place and is said once, since commit statuses are not the sync.
  ctx.load = [this, w, key, forge_error = std::make_shared<std::string>()](
                 const source::DesiredSource& src) -> Result<source::Desired> {
    WARREN_RETURN_IF_ERROR(WriteGitCredentials(w));
    if (w.statuses) {
      Status token = WriteForgeToken(w);
      if (!token.ok() && token.message() != *forge_error)
        ctx_.log->Warn("commit status token not refreshed", {{"warrensource", key}, {"error", token.message()}});
      *forge_error = token.ok() ? "" : token.message();
    }
    return ctx_.load ? ctx_.load(src) : source::LoadDesired(src);
  };
  ctx.connect_rabbit = [this,
                        w](const rabbitmq::ConnectOptions& o) -> Result<std::unique_ptr<rabbitmq::ManagementApi>> {
    WARREN_RETURN_IF_ERROR(WriteRabbitCredentials(w));
    if (ctx_.connect_rabbit) return ctx_.connect_rabbit(o);
    WARREN_ASSIGN_OR_RETURN(auto client, rabbitmq::Connect(o));
    return std::unique_ptr<rabbitmq::ManagementApi>(std::move(client));
  };
  run->loop = std::make_unique<SourceLoop>(w.spec, ctx);
  run->stop = term.Child();
  ctx_.log->Info("warrensource started", {{"warrensource", key},
                                          {"generation", w.generation},
                                          {"source", w.spec.name},
                                          {"suspended", w.spec.suspend},
                                          {"serviceAccount", w.service_account}});
  SourceLoop* loop = run->loop.get();
  run->thread = std::thread([loop, stop = run->stop] { loop->Run(stop); });
  if (request_pending && !w.spec.suspend) loop->Trigger("reconcile requested at " + w.requested_at, true);
  std::lock_guard<std::mutex> lock(mu_);
  invalid_.erase(key);
  running_[key] = std::move(run);
}

void SourceController::Stop(const std::string& key) {
  std::unique_ptr<Running> r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find(key);
    if (it == running_.end()) return;
    r = std::move(it->second);
    running_.erase(it);
  }
  r->stop.RequestStop();
  r->thread.join();
  r->status.reset();                                       // what it still had to say is written first
  if (r->forge) r->forge->Flush(std::chrono::seconds(3));  // and posted, briefly
}

namespace {

// The index of warren.io/prune in metadata.finalizers, or -1.
int FinalizerIndex(const Json& meta) {
  const Json f = meta.value("finalizers", Json::array());
  for (size_t i = 0; f.is_array() && i < f.size(); ++i)
    if (f[i] == kPruneFinalizer) return static_cast<int>(i);
  return -1;
}

// A JSON patch removing finalizer `at`, tested first so that a concurrent change fails it.
Json RemoveFinalizerOps(int at) {
  std::string path = "/metadata/finalizers/" + std::to_string(at);
  return Json::array(
      {{{"op", "test"}, {"path", path}, {"value", kPruneFinalizer}}, {{"op", "remove"}, {"path", path}}});
}

}  // namespace

void SourceController::KeepFinalizer(const Json& obj, bool prune, const StopToken& stop) {
  const Json meta = obj.value("metadata", Json::object());
  const int at = FinalizerIndex(meta);
  if (prune == (at >= 0)) return;
  Json ops = !prune ? RemoveFinalizerOps(at)
             : meta.contains("finalizers")
                 ? Json::array({{{"op", "add"}, {"path", "/metadata/finalizers/-"}, {"value", kPruneFinalizer}}})
                 : Json::array({{{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", {kPruneFinalizer}}}});
  auto patched =
      ctx_.kube->Stoppable(stop)->JsonPatch(resource_, meta.value("namespace", ""), meta.value("name", ""), ops);
  if (!patched.ok())
    ctx_.log->Warn("finalizer not written",
                   {{"warrensource", meta.value("namespace", "") + "/" + meta.value("name", "")},
                    {"error", patched.status().message()}});
}

void SourceController::Finalize(const Json& obj, const StopSource& term) {
  const Json meta = obj.value("metadata", Json::object());
  const std::string ns = meta.value("namespace", ""), name = meta.value("name", ""), key = ns + "/" + name;
  const int at = FinalizerIndex(meta);
  if (at < 0) return;
  auto decoded = DecodeWarrenSource(obj, options_.defaults, options_.state_dir);
  if (decoded.ok() && decoded.value().spec.prune) {
    const WarrenSource& w = decoded.value();
    std::unique_ptr<kube::Api> client = client_for_(w.User());
    reconcile::Options o;
    o.prune = true;
    o.wait_ready = false;
    o.timeout = ctx_.agent->timeout;
    o.inventory_namespace = w.spec.inventory_ns;
    o.inventory_name = w.spec.KubeInventoryName();
    o.source = w.spec.name;
    o.clock = ctx_.clock;
    // Nothing desired: everything the inventory lists goes (the Kubernetes objects only).
    reconcile::Report r =
        reconcile::ReconcileOnce(LoadedManifests{}, {client.get(), nullptr, nullptr}, o, term.token());
    if (!r.Converged()) {
      std::string error = !r.error.ok() ? r.error.message()
                          : r.applied.First(diff::OutcomeClass::kFailed)
                              ? r.applied.First(diff::OutcomeClass::kFailed)->message
                              : "not all pruned";
      ctx_.log->Error("warrensource deleted, its objects not pruned (the finalizer stays; tried again)",
                      {{"warrensource", key}, {"error", error}});
      SayStatus(obj,
                InvalidSourceStatus(obj.value("status", Json::object()), w.generation, "PruneFailed",
                                    "deleted; pruning its objects failed: " + error, Now()),
                term.token());
      return;
    }
    size_t pruned = 0;
    for (const auto& result : r.applied.results) pruned += result.outcome == diff::Outcome::kPruned;
    ctx_.log->Info("warrensource deleted: its objects pruned", {{"warrensource", key}, {"pruned", pruned}});
  }
  auto removed = ctx_.kube->Stoppable(term.token())->JsonPatch(resource_, ns, name, RemoveFinalizerOps(at));
  if (!removed.ok() && removed.status().code() != StatusCode::kNotFound)
    ctx_.log->Warn("finalizer not removed", {{"warrensource", key}, {"error", removed.status().message()}});
}

void SourceController::SayStatus(const Json& obj, const Json& status, const StopToken& stop) {
  if (status == obj.value("status", Json::object())) return;  // said already: a write would only bring the event back
  const Json meta = obj.value("metadata", Json::object());
  const std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
  auto written = ctx_.kube->Stoppable(stop)->PatchStatus(resource_, ns, name, status);
  if (!written.ok() && written.status().code() != StatusCode::kCancelled)
    ctx_.log->Warn("status not written", {{"warrensource", ns + "/" + name}, {"error", written.status().message()}});
}

Result<std::map<std::string, std::string>> SourceController::ReadSecret(const std::string& ns,
                                                                        const std::string& name) {
  WARREN_ASSIGN_OR_RETURN(auto r, ctx_.kube->Resolve("v1", "Secret"));
  WARREN_ASSIGN_OR_RETURN(auto got, ctx_.kube->Get(r, ns, name));
  if (!got) return Status::NotFound("Secret " + ns + "/" + name + " not found");
  std::map<std::string, std::string> out;
  const Json data = got->value("data", Json::object());
  for (const auto& [k, v] : data.items()) {
    auto text = v.is_string() ? Base64Decode(v.get<std::string>()) : std::nullopt;
    if (!text) return Status::Invalid("Secret " + ns + "/" + name + ": data." + k + " is not base64");
    out[k] = *text;
  }
  return out;
}

Status SourceController::WriteGitCredentials(const WarrenSource& w) {
  if (w.git_secret.empty()) return Status::Ok();
  WARREN_ASSIGN_OR_RETURN(auto data, ReadSecret(w.ns, w.git_secret));
  const CredentialPaths p = CredentialsOf(options_.state_dir, w.spec.name);
  const git::SourceOptions& g = *w.spec.desired.git;
  const std::string where = "Secret " + w.ns + "/" + w.git_secret;
  if (!g.ssh_key.empty()) {
    if (!data.count("identity") || !data.count("known_hosts"))
      return Status::Invalid(where + ": an SSH repository needs the keys identity and known_hosts");
    WARREN_RETURN_IF_ERROR(WritePrivate(p.ssh_key, data["identity"]));
    return WritePrivate(p.known_hosts, data["known_hosts"]);
  }
  if (data.count("token")) return WritePrivate(p.git_auth, data["token"] + "\n");
  if (data.count("username") && data.count("password"))
    return WritePrivate(p.git_auth, data["username"] + ":" + data["password"] + "\n");
  return Status::Invalid(where + ": needs the key token, or username and password");
}

Status SourceController::WriteForgeToken(const WarrenSource& w) {
  WARREN_ASSIGN_OR_RETURN(auto data, ReadSecret(w.ns, w.status_secret));
  if (!data.count("token")) return Status::Invalid("Secret " + w.ns + "/" + w.status_secret + ": needs the key token");
  return WritePrivate(CredentialsOf(options_.state_dir, w.spec.name).forge_token, data["token"] + "\n");
}

Status SourceController::WriteRabbitCredentials(const WarrenSource& w) {
  if (w.rabbit_secret.empty()) return Status::Ok();
  WARREN_ASSIGN_OR_RETURN(auto data, ReadSecret(w.ns, w.rabbit_secret));
  if (!data.count("username") || !data.count("password"))
    return Status::Invalid("Secret " + w.ns + "/" + w.rabbit_secret + ": needs the keys username and password");
  const CredentialPaths p = CredentialsOf(options_.state_dir, w.spec.name);
  WARREN_RETURN_IF_ERROR(WritePrivate(fs::path(p.rabbit_dir) / "username", data["username"] + "\n"));
  return WritePrivate(fs::path(p.rabbit_dir) / "password", data["password"] + "\n");
}

}  // namespace warren::run
