#include "agent/kube/client.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "diff/model/fast_json.h"
#include "diff/model/object.h"

namespace warren::kube {
namespace {

bool Retryable(long code) { return code == 429 || code == 500 || code == 502 || code == 503 || code == 504; }

std::string Segment(const std::string& s) { return net::EscapePathSegment(s); }

}  // namespace

Status ErrorFromResponse(long code, const std::string& body) {
  Json s = Json::parse(body, nullptr, false);
  std::string message;
  if (StringField(s, "kind") == "Status") {
    message = std::to_string(code) + " " + StringField(s, "reason") + ": " + StringField(s, "message");
    // Apply conflicts put every path in the message already; Invalid lists causes there too.
  } else if (code == 404) {
    message = "404 NotFound: the server could not find the requested resource";
  } else {
    std::string text = body.size() > 200 ? body.substr(0, 200) + "..." : body;
    while (!text.empty() && isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    message = std::to_string(code) + (text.empty() ? "" : ": " + text);
  }
  return Status(net::StatusCodeForHttp(code), message);
}

// What every view of one client shares. The pool holds idle connections for the current client
// certificate (exec plugins may rotate it: then the pool starts over).
struct KubeClient::Shared {
  explicit Shared(ClusterConfig c) : config(std::move(c)), credentials(config) {}
  ClusterConfig config;
  CredentialSource credentials;
  std::atomic<size_t> requests{0};

  std::mutex pool_mu;
  std::vector<std::unique_ptr<net::HttpClient>> idle;
  std::string pool_cert;

  std::mutex discovery_mu;
  bool discovered = false;
  std::chrono::steady_clock::time_point discovered_at;
  std::map<std::pair<std::string, std::string>, ResourceInfo> kinds;  // (group, kind)

  // A connection for these credentials: an idle one, or a new one.
  std::unique_ptr<net::HttpClient> Acquire(const Credential& cred, long timeout_ms) {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (pool_cert != cred.client_cert_pem) {
        idle.clear();
        pool_cert = cred.client_cert_pem;
      }
      if (!idle.empty()) {
        auto h = std::move(idle.back());
        idle.pop_back();
        return h;
      }
    }
    net::HttpClientOptions o;
    o.timeout_ms = timeout_ms;
    o.connect_timeout_ms = std::min(timeout_ms, 5000L);
    o.ca_file = config.ca_file;
    o.ca_pem = config.ca_pem;
    o.insecure_skip_verify = config.insecure_skip_verify;
    o.tls_server_name = config.tls_server_name;
    o.client_cert_pem = cred.client_cert_pem;
    o.client_key_pem = cred.client_key_pem;
    return std::make_unique<net::HttpClient>(o);
  }
  void Release(std::unique_ptr<net::HttpClient> h, const Credential& cred) {
    std::lock_guard<std::mutex> lock(pool_mu);
    if (pool_cert == cred.client_cert_pem && idle.size() < 8) idle.push_back(std::move(h));
  }
};

Result<std::unique_ptr<KubeClient>> KubeClient::Create(ClusterConfig config, ClientOptions options) {
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0)
    return Status::Invalid("Kubernetes server must be an http(s) URL: " + config.server);
  return std::unique_ptr<KubeClient>(new KubeClient(std::make_shared<Shared>(std::move(config)), std::move(options)));
}

KubeClient::KubeClient(std::shared_ptr<Shared> shared, ClientOptions options)
    : shared_(std::move(shared)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = &Clock::Real();
}

std::unique_ptr<KubeClient> KubeClient::WithStop(StopToken stop) const {
  ClientOptions o = options_;
  o.stop = std::move(stop);
  return std::unique_ptr<KubeClient>(new KubeClient(shared_, std::move(o)));
}

std::unique_ptr<KubeClient> KubeClient::Impersonating(const std::string& user) const {
  ClientOptions o = options_;
  o.impersonate_user = user;
  return std::unique_ptr<KubeClient>(new KubeClient(shared_, std::move(o)));
}

const ClusterConfig& KubeClient::config() const { return shared_->config; }
size_t KubeClient::requests_sent() const { return shared_->requests.load(); }

Status KubeClient::Sleep(long ms) const {
  if (!options_.clock->SleepFor(std::chrono::milliseconds(ms), options_.stop))
    return Status::Cancelled("Kubernetes API request to " + shared_->config.server + ": stopped");
  return Status::Ok();
}

net::HttpRequest KubeClient::Request(const std::string& method, const std::string& path, const std::string& body,
                                     const Credential& cred) const {
  net::HttpRequest req{method,
                       shared_->config.server + path,
                       {{"Accept", "application/json"}, {"User-Agent", "warren/0.1"}},
                       body,
                       options_.stop};
  if (!cred.token.empty()) req.headers["Authorization"] = "Bearer " + cred.token;
  if (!options_.impersonate_user.empty()) req.headers["Impersonate-User"] = options_.impersonate_user;
  return req;
}

Result<net::HttpResponse> KubeClient::Call(const std::string& method, const std::string& path, const std::string& body,
                                           const std::string& content_type) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  bool reauthenticated = false;
  Status last;
  for (int attempt = 0; attempt <= options_.retries; ++attempt) {
    if (options_.stop.stop_requested()) return Status::Cancelled(method + " " + path + ": stopped");
    WARREN_ASSIGN_OR_RETURN(auto cred, shared_->credentials.Get());
    net::HttpRequest req = Request(method, path, body, cred);
    if (!content_type.empty()) req.headers["Content-Type"] = content_type;
    ++shared_->requests;
    auto http = shared_->Acquire(cred, options_.timeout_ms);
    auto reply = http->Send(req);
    shared_->Release(std::move(http), cred);
    long wait_ms = options_.backoff_ms << attempt;
    wait_ms += std::uniform_int_distribution<long>(0, wait_ms / 2)(rng);
    if (!reply.ok() && reply.status().code() == StatusCode::kCancelled) {
      return reply.status();
    } else if (!reply.ok()) {
      last = Status(StatusCode::kUnavailable,
                    "cannot reach the Kubernetes API at " + shared_->config.server + ": " +
                        reply.status().message().substr(reply.status().message().rfind(": ") + 2));
    } else if (reply.value().status == 401 && !reauthenticated) {
      shared_->credentials.Invalidate();  // a rotated token: read it again, once
      reauthenticated = true;
      --attempt;
      continue;
    } else if (Retryable(reply.value().status) && attempt < options_.retries) {
      auto ra = reply.value().headers.find("retry-after");
      if (reply.value().status == 429 && ra != reply.value().headers.end())
        wait_ms = std::min(options_.max_retry_after_ms, std::atol(ra->second.c_str()) * 1000);
      last = ErrorFromResponse(reply.value().status, reply.value().body);
    } else {
      return reply;
    }
    if (attempt < options_.retries) WARREN_RETURN_IF_ERROR(Sleep(wait_ms));
  }
  return last;
}

// Discovery is cached; `force` refreshes it (a kind not found may come from a CRD installed since),
// at most once every few seconds so a kind that really is missing costs little.
Status KubeClient::Discover(bool force) {
  std::lock_guard<std::mutex> lock(shared_->discovery_mu);
  auto now = std::chrono::steady_clock::now();
  if (shared_->discovered && (!force || now - shared_->discovered_at < std::chrono::seconds(5))) return Status::Ok();
  std::map<std::pair<std::string, std::string>, ResourceInfo> kinds;
  auto add = [&](const std::string& group_version, const Json& list) {
    std::string group =
        group_version.find('/') == std::string::npos ? "" : group_version.substr(0, group_version.find('/'));
    std::string version = group_version.substr(group_version.find('/') + 1);
    const Json& resources = Field(list, "resources");
    if (!resources.is_array()) return;
    for (const Json& r : resources) {
      std::string name = StringField(r, "name");
      if (name.empty() || name.find('/') != std::string::npos) continue;  // subresources
      ResourceInfo info{group, version, name, StringField(r, "kind"), BoolField(r, "namespaced", true)};
      kinds.emplace(std::make_pair(group, info.kind), info);
    }
  };
  auto core = Call("GET", "/api/v1");
  if (!core.ok()) return core.status().WithContext("discovery");
  if (core.value().status != 200)
    return ErrorFromResponse(core.value().status, core.value().body).WithContext("discovery GET /api/v1");
  add("v1", Json::parse(core.value().body, nullptr, false));
  auto groups = Call("GET", "/apis");
  if (!groups.ok()) return groups.status().WithContext("discovery");
  if (groups.value().status != 200)
    return ErrorFromResponse(groups.value().status, groups.value().body).WithContext("discovery GET /apis");
  Json group_list = Json::parse(groups.value().body, nullptr, false);
  if (!Field(group_list, "groups").is_array())
    return Status::Invalid("discovery GET /apis: the answer lists no groups");
  for (const Json& g : group_list["groups"]) {
    std::string gv = StringField(Field(g, "preferredVersion"), "groupVersion");
    if (gv.empty()) continue;
    auto list = Call("GET", "/apis/" + gv);
    if (!list.ok()) return list.status().WithContext("discovery");
    if (list.value().status != 200) continue;  // an unavailable aggregated API does not stop warren
    add(gv, Json::parse(list.value().body, nullptr, false));
  }
  shared_->kinds = std::move(kinds);
  shared_->discovered = true;
  shared_->discovered_at = now;
  return Status::Ok();
}

Result<ResourceInfo> KubeClient::Resolve(const std::string& api_version, const std::string& kind) {
  // (Not a structured binding: clang before 16 cannot capture one in the lambda below.)
  const std::pair<std::string, std::string> split = SplitApiVersion(api_version);
  const std::string& group = split.first;
  const std::string& version = split.second;
  auto lookup = [&]() -> std::optional<ResourceInfo> {
    std::lock_guard<std::mutex> lock(shared_->discovery_mu);
    auto it = shared_->kinds.find({group, kind});
    if (it == shared_->kinds.end()) return std::nullopt;
    return it->second;
  };
  WARREN_RETURN_IF_ERROR(Discover(false));
  auto found = lookup();
  if (!found || found->version != version) {  // installed or upgraded since the last discovery?
    WARREN_RETURN_IF_ERROR(Discover(true));
    found = lookup();
  }
  if (!found)
    return Status::NotFound("the cluster does not serve kind " + kind + " in " +
                            (group.empty() ? "the core group" : "group " + group) + " (is its CRD installed?)");
  if (found->version != version)
    return Status::NotFound(kind + " " + api_version + " is not served by this cluster; it serves " +
                            found->GroupVersion());
  return *found;
}

std::string KubeClient::Path(const ResourceInfo& r, const std::string& ns, const std::string& name) const {
  std::string p = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) p += "/namespaces/" + Segment(ns);
  p += "/" + r.resource;
  if (!name.empty()) p += "/" + Segment(name);
  return p;
}

Result<std::optional<Json>> KubeClient::Get(const ResourceInfo& r, const std::string& ns, const std::string& name) {
  WARREN_ASSIGN_OR_RETURN(auto reply, Call("GET", Path(r, ns, name)));
  if (reply.status == 404) return std::optional<Json>();
  if (reply.status != 200) return ErrorFromResponse(reply.status, reply.body);
  Json obj = ParseJson(reply.body);
  if (!obj.is_object()) return Status::Invalid("GET " + Path(r, ns, name) + ": the answer is not a JSON object");
  return std::optional<Json>(std::move(obj));
}

Result<std::vector<Json>> KubeClient::List(const ResourceInfo& r, const std::string& ns,
                                           const std::string& label_selector) {
  return ListAt(r, ns, label_selector, nullptr);
}

Result<std::vector<Json>> KubeClient::ListAt(const ResourceInfo& r, const std::string& ns,
                                             const std::string& label_selector, std::string* resource_version) {
  std::vector<Json> out;
  std::string cont;
  do {
    std::string q = "?limit=500";
    if (!label_selector.empty()) q += "&labelSelector=" + Segment(label_selector);
    if (!cont.empty()) q += "&continue=" + Segment(cont);
    WARREN_ASSIGN_OR_RETURN(auto reply, Call("GET", Path(r, ns) + q));
    if (reply.status == 410) {  // the continue token expired: start over
      out.clear();
      cont.clear();
      continue;
    }
    if (reply.status != 200) return ErrorFromResponse(reply.status, reply.body);
    Json list = ParseJson(reply.body);
    if (!list.is_object()) return Status::Invalid("LIST " + Path(r, ns) + ": the answer is not a JSON object");
    if (resource_version && cont.empty()) *resource_version = StringField(Field(list, "metadata"), "resourceVersion");
    if (!Field(list, "items").is_array())
      return Status::Invalid("LIST " + Path(r, ns) + ": the answer has no items list");
    for (Json& item : list["items"]) {
      if (!item.is_object()) return Status::Invalid("LIST " + Path(r, ns) + ": an item is not a JSON object");
      item["apiVersion"] = r.GroupVersion();
      item["kind"] = r.kind;
      out.push_back(std::move(item));
    }
    cont = StringField(Field(list, "metadata"), "continue");
  } while (!cont.empty());
  return out;
}

Result<Json> KubeClient::Apply(const Json& obj, const ApplyOptions& options) {
  std::string api_version = StringField(obj, "apiVersion"), kind = StringField(obj, "kind");
  WARREN_ASSIGN_OR_RETURN(auto r, Resolve(api_version, kind));
  const Json& meta = Field(obj, "metadata");
  std::string path = Path(r, StringField(meta, "namespace"), StringField(meta, "name")) +
                     "?fieldManager=" + Segment(options_.field_manager) +
                     (options.force ? "&force=true" : "&force=false") + (options.dry_run ? "&dryRun=All" : "");
  WARREN_ASSIGN_OR_RETURN(auto reply, Call("PATCH", path, obj.dump(), "application/apply-patch+yaml"));
  if (reply.status != 200 && reply.status != 201) return ErrorFromResponse(reply.status, reply.body);
  Json out = ParseJson(reply.body);
  if (!out.is_object()) return Status::Invalid("PATCH " + path + ": the answer is not a JSON object");
  return out;
}

Result<Json> KubeClient::Write(const std::string& method, const std::string& path, const Json& obj) {
  WARREN_ASSIGN_OR_RETURN(auto reply, Call(method, path, obj.dump(), "application/json"));
  if (reply.status != 200 && reply.status != 201) return ErrorFromResponse(reply.status, reply.body);
  Json out = ParseJson(reply.body);
  if (!out.is_object()) return Status::Invalid(method + " " + path + ": the answer is not a JSON object");
  return out;
}

Result<Json> KubeClient::Create(const ResourceInfo& r, const std::string& ns, const Json& obj) {
  return Write("POST", Path(r, ns), obj);
}

Result<Json> KubeClient::Update(const ResourceInfo& r, const std::string& ns, const Json& obj) {
  return Write("PUT", Path(r, ns, StringField(Field(obj, "metadata"), "name")), obj);
}

Result<Json> KubeClient::JsonPatch(const ResourceInfo& r, const std::string& ns, const std::string& name,
                                   const Json& ops, bool dry_run) {
  std::string path =
      Path(r, ns, name) + "?fieldManager=" + Segment(options_.field_manager) + (dry_run ? "&dryRun=All" : "");
  WARREN_ASSIGN_OR_RETURN(auto reply, Call("PATCH", path, ops.dump(), "application/json-patch+json"));
  if (reply.status != 200) return ErrorFromResponse(reply.status, reply.body);
  Json out = ParseJson(reply.body);
  if (!out.is_object()) return Status::Invalid("PATCH " + path + ": the answer is not a JSON object");
  return out;
}

Result<Json> KubeClient::PatchStatus(const ResourceInfo& r, const std::string& ns, const std::string& name,
                                     const Json& status) {
  // The status as a whole: a merge patch replaces lists (conditions) rather than merging them.
  std::string path = Path(r, ns, name) + "/status?fieldManager=" + Segment(options_.field_manager);
  WARREN_ASSIGN_OR_RETURN(auto reply,
                          Call("PATCH", path, Json{{"status", status}}.dump(), "application/merge-patch+json"));
  if (reply.status != 200) return ErrorFromResponse(reply.status, reply.body);
  Json out = ParseJson(reply.body);
  if (!out.is_object()) return Status::Invalid("PATCH " + path + ": the answer is not a JSON object");
  return out;
}

Status KubeClient::Delete(const ResourceInfo& r, const std::string& ns, const std::string& name,
                          const std::string& propagation, const std::string& uid_precondition) {
  Json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", propagation}};
  if (!uid_precondition.empty()) options["preconditions"] = {{"uid", uid_precondition}};
  WARREN_ASSIGN_OR_RETURN(auto reply, Call("DELETE", Path(r, ns, name), options.dump(), "application/json"));
  if (reply.status / 100 != 2) return ErrorFromResponse(reply.status, reply.body);
  return Status::Ok();
}

Result<bool> KubeClient::CanI(const std::string& verb, const std::string& group, const std::string& resource,
                              const std::string& ns, const std::string& name) {
  Json attrs = {{"verb", verb}, {"group", group}, {"resource", resource}};
  if (!ns.empty()) attrs["namespace"] = ns;
  if (!name.empty()) attrs["name"] = name;
  Json review = {{"apiVersion", "authorization.k8s.io/v1"},
                 {"kind", "SelfSubjectAccessReview"},
                 {"spec", {{"resourceAttributes", attrs}}}};
  WARREN_ASSIGN_OR_RETURN(auto reply, Call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                           review.dump(), "application/json"));
  if (reply.status != 201 && reply.status != 200) return ErrorFromResponse(reply.status, reply.body);
  Json out = ParseJson(reply.body);
  return BoolField(Field(out, "status"), "allowed", false);
}

Status KubeClient::Watch(const ResourceInfo& r, const std::string& ns, std::string resource_version,
                         int timeout_seconds, const std::function<bool(const std::string&, const Json&)>& on_event) {
  WatchRequest w;
  w.ns = ns;
  w.resource_version = std::move(resource_version);
  w.timeout_seconds = timeout_seconds;
  return Watch(r, w, on_event);
}

Status KubeClient::Watch(const ResourceInfo& r, WatchRequest& w,
                         const std::function<bool(const std::string&, const Json&)>& on_event) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(w.timeout_seconds);
  std::string& resource_version = w.resource_version;
  bool stop = false;
  while (!stop && std::chrono::steady_clock::now() < deadline) {
    if (options_.stop.stop_requested()) return Status::Cancelled("watch " + r.Qualified() + ": stopped");
    if (resource_version.empty()) {  // (re)list: the current state as ADDED events
      // Watched from the list's own resourceVersion, so nothing between the two is missed.
      WARREN_ASSIGN_OR_RETURN(auto list, ListAt(r, w.ns, w.label_selector, &resource_version));
      if (w.on_relist) w.on_relist();
      for (const Json& o : list)
        if (!on_event("ADDED", o)) return Status::Ok();
      if (w.on_synced) w.on_synced();
    }
    long left = std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now()).count();
    std::string path = Path(r, w.ns) +
                       "?watch=true&allowWatchBookmarks=true&resourceVersion=" + Segment(resource_version) +
                       "&timeoutSeconds=" + std::to_string(std::max(1L, left));
    if (!w.label_selector.empty()) path += "&labelSelector=" + Segment(w.label_selector);
    WARREN_ASSIGN_OR_RETURN(auto cred, shared_->credentials.Get());
    net::HttpRequest req = Request("GET", path, "", cred);
    std::string buffer;
    bool expired = false;
    ++shared_->requests;
    // A watch holds its connection for minutes: its own, not one from the pool.
    auto http = shared_->Acquire(cred, options_.timeout_ms);
    auto reply = http->Stream(req, [&](std::string_view chunk) {
      buffer.append(chunk);
      for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
        Json event = ParseJson(std::string_view(buffer).substr(0, nl));
        buffer.erase(0, nl + 1);
        if (!event.is_object()) continue;
        std::string type = StringField(event, "type");
        const Json& obj = Field(event, "object");
        if (type == "ERROR") {
          expired = Field(obj, "code") == 410;
          return false;
        }
        if (const std::string& rv = StringField(Field(obj, "metadata"), "resourceVersion"); !rv.empty())
          resource_version = rv;
        if (type == "BOOKMARK") continue;
        if (!on_event(type, obj)) {
          stop = true;
          return false;
        }
      }
      return true;
    });
    if (reply.ok()) shared_->Release(std::move(http), cred);
    if (!reply.ok()) return reply.status();
    if (reply.value().status == 410 || expired) {
      resource_version.clear();  // too old: relist
      continue;
    }
    if (reply.value().status != 200) return ErrorFromResponse(reply.value().status, reply.value().body);
  }
  return Status::Ok();
}

}  // namespace warren::kube
