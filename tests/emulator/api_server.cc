#include "tests/emulator/api_server.h"
#include "tests/emulator/call.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <httplib.h>

#include <chrono>
#include <ctime>
#include <random>
#include <set>

namespace emulator {

ApiServer::ApiServer(Pki pki, Options options) : pki_(std::move(pki)), options_(std::move(options)) {
  SeedNamespaces();
}

void ApiServer::SeedNamespaces() {
  std::lock_guard<std::mutex> lock(store_.mu());
  for (const char* ns : {"default", "kube-system", "kube-public"}) {
    Json obj = {{"apiVersion", "v1"},
                {"kind", "Namespace"},
                {"metadata",
                 {{"name", ns},
                  {"uid", NewUid()},
                  {"creationTimestamp", Now()},
                  {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
                {"spec", {{"finalizers", {"kubernetes"}}}},
                {"status", {{"phase", "Active"}}}};
    store_.Put(*FindResource("", "v1", "namespaces"), obj);
  }
}

ApiServer::~ApiServer() { Stop(); }

int ApiServer::Start() {
  // TLS set up by hand: client certificates are asked for but optional, so token clients and
  // certificate clients share the port, as on a real API server.
  server_ = std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) {
    BIO* cert_bio = BIO_new_mem_buf(pki_.server.cert_pem.data(), static_cast<int>(pki_.server.cert_pem.size()));
    X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    BIO* key_bio = BIO_new_mem_buf(pki_.server.key_pem.data(), static_cast<int>(pki_.server.key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    BIO* ca_bio = BIO_new_mem_buf(pki_.ca.cert_pem.data(), static_cast<int>(pki_.ca.cert_pem.size()));
    X509* ca = PEM_read_bio_X509(ca_bio, nullptr, nullptr, nullptr);
    bool ok = SSL_CTX_use_certificate(&ctx, cert) == 1 && SSL_CTX_use_PrivateKey(&ctx, key) == 1;
    X509_STORE_add_cert(SSL_CTX_get_cert_store(&ctx), ca);
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca)));
    SSL_CTX_set_client_CA_list(&ctx, names);
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });  // checked per request
    X509_free(cert);
    EVP_PKEY_free(key);
    X509_free(ca);
    BIO_free(cert_bio);
    BIO_free(key_bio);
    BIO_free(ca_bio);
    return ok;
  });
  server_->new_task_queue = [] { return new httplib::ThreadPool(48); };
  server_->set_tcp_nodelay(true);            // else delayed ACKs add ~40 ms to every response
  server_->set_keep_alive_max_count(10000);  // clients reuse connections, as with a real server
  server_->set_read_timeout(300);
  server_->set_write_timeout(300);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
  const std::string any = R"(/.*)";
  server_->Get(any, handler);
  server_->Post(any, handler);
  server_->Put(any, handler);
  server_->Patch(any, handler);
  server_->Delete(any, handler);
  int port = options_.port == 0 ? server_->bind_to_any_port("127.0.0.1") : options_.port;
  if (options_.port != 0 && !server_->bind_to_port("127.0.0.1", port)) return -1;
  if (port <= 0) return -1;
  server_thread_ = std::thread([this] { server_->listen_after_bind(); });
  controller_thread_ = std::thread([this] { ControllerLoop(); });
  return port;
}

void ApiServer::Stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(log_mu_);
    released_.notify_all();  // held requests end, so the server's threads can be joined
  }
  if (server_) server_->stop();
  if (server_thread_.joinable()) server_thread_.join();
  if (controller_thread_.joinable()) controller_thread_.join();
}

bool ApiServer::Authenticate(const httplib::Request& req, UserInfo* user) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) {
    auto it = options_.tokens.find(auth.substr(7));
    if (it == options_.tokens.end()) return false;
    *user = it->second;
  } else if (req.ssl && SSL_get0_peer_certificate(req.ssl)) {
    X509* cert = SSL_get0_peer_certificate(req.ssl);
    if (SSL_get_verify_result(req.ssl) != X509_V_OK) return false;
    X509_NAME* subject = X509_get_subject_name(cert);
    char buf[256];
    if (X509_NAME_get_text_by_NID(subject, NID_commonName, buf, sizeof buf) < 0) return false;
    user->name = buf;
    for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i)) >= 0;) {
      ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
      user->groups.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                static_cast<size_t>(ASN1_STRING_length(s)));
    }
  } else {
    return false;
  }
  if (std::find(user->groups.begin(), user->groups.end(), "system:authenticated") == user->groups.end())
    user->groups.push_back("system:authenticated");
  return true;
}

std::optional<Fault> ApiServer::MatchFault(const httplib::Request& req) {
  std::lock_guard<std::mutex> lock(log_mu_);
  auto it = std::find_if(faults_.begin(), faults_.end(), [&](const Fault& f) {
    return (f.method.empty() || f.method == req.method) && req.path.rfind(f.path_prefix, 0) == 0;
  });
  if (it == faults_.end()) return std::nullopt;
  if (it->skip > 0) {
    --it->skip;
    return std::nullopt;
  }
  Fault hit = *it;
  if (it->times > 0 && --it->times == 0) faults_.erase(it);
  return hit;
}

void ApiServer::Hold() {
  std::unique_lock<std::mutex> lock(log_mu_);
  int generation = release_generation_;
  ++held_;
  released_.wait_for(lock, std::chrono::minutes(1), [&] { return release_generation_ != generation || stopping_; });
  --held_;
}

bool ApiServer::InjectFault(const Fault& hit, httplib::Response& res) {
  if (hit.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hit.latency_ms));
  if (hit.drop) {
    // Headers promise 64 bytes; the provider gives up after 10, and httplib closes the connection.
    res.status = 200;
    res.set_content_provider(64, "application/json", [](size_t offset, size_t, httplib::DataSink& sink) {
      if (offset > 0) return false;
      sink.write("{\"kind\":\"", 9);
      return false;
    });
    return true;
  }
  if (hit.status == 0) return false;
  if (hit.retry_after_seconds > 0) res.set_header("Retry-After", std::to_string(hit.retry_after_seconds));
  std::string reason = hit.status == 429   ? "TooManyRequests"
                       : hit.status == 401 ? "Unauthorized"
                       : hit.status == 403 ? "Forbidden"
                       : hit.status == 503 ? "ServiceUnavailable"
                       : hit.status >= 500 ? "InternalError"
                                           : "BadRequest";
  Json details = hit.retry_after_seconds > 0 ? Json{{"retryAfterSeconds", hit.retry_after_seconds}} : Json();
  Fail(res, hit.status, reason, "injected fault", details);
  return true;
}

void ApiServer::Handle(const httplib::Request& req, httplib::Response& res) {
  bool admin_path = req.path.rfind("/emulator/", 0) == 0;
  std::optional<Fault> fault = admin_path ? std::nullopt : MatchFault(req);
  if (fault && fault->hold == "before") {
    Hold();
    return Fail(res, 503, "ServiceUnavailable", "held by an injected fault, never handled");
  }
  if (fault && fault->hold.empty() && InjectFault(*fault, res)) return;
  Call c{req, res, {}};
  if (!Authenticate(req, &c.user)) {
    Fail(res, 401, "Unauthorized", "Unauthorized");
  } else {
    try {
      Route(c);
    } catch (const std::exception& e) {  // a bug of the emulator's: said, not an empty 500
      Fail(res, 500, "InternalError", std::string("an error on the server: ") + e.what());
    }
  }
  if (admin_path) return;
  std::string query;
  for (const auto& [k, v] : req.params) query += (query.empty() ? "" : "&") + k + "=" + v;
  {
    std::lock_guard<std::mutex> lock(log_mu_);
    request_log_.push_back({{"method", req.method},
                            {"path", req.path},
                            {"query", query},
                            {"user", c.user.name},
                            {"code", res.status},
                            {"verb", c.verb},
                            {"write", c.write},
                            {"contentType", req.get_header_value("Content-Type")}});
  }
  if (fault && fault->hold == "after") Hold();
}

void ApiServer::Route(Call& c) {
  const std::string& p = c.req.path;
  if (c.req.has_header("Impersonate-User") || c.req.has_header("Impersonate-Group")) {
    if (!Impersonate(c)) return;
  }
  if (p.rfind("/emulator/", 0) == 0) return Admin(c);
  if (p == "/healthz" || p == "/readyz" || p == "/livez") {
    c.res.set_content("ok", "text/plain");
    return;
  }
  if (p == "/version" || p == "/api" || p == "/apis" || p.rfind("/openapi/", 0) == 0) return Discovery(c);
  if (p.rfind("/api/", 0) == 0 || p.rfind("/apis/", 0) == 0) return ResourceRequest(c);
  NoSuchPath(c.res);
}

void ApiServer::Admin(Call& c) {
  if (std::find(c.user.groups.begin(), c.user.groups.end(), "system:masters") == c.user.groups.end())
    return Fail(c.res, 403, "Forbidden", "the emulator's admin endpoints are for system:masters");
  std::lock_guard<std::mutex> lock(log_mu_);
  if (c.req.path == "/emulator/reset" && c.req.method == "POST") {
    // As freshly started: no objects but the built-in Namespaces, no faults (held requests
    // refused), an empty request log. One emulator serves every test of a test program.
    faults_.clear();
    ++release_generation_;
    released_.notify_all();
    request_log_ = Json::array();
    {
      std::lock_guard<std::mutex> store_lock(store_.mu());
      store_.Clear();
      custom_.Clear();
    }
    SeedNamespaces();
    return Reply(c.res, 200, {{"reset", true}});
  }
  if (c.req.path == "/emulator/requests") {
    if (c.req.method == "DELETE") request_log_ = Json::array();
    return Reply(c.res, 200, {{"requests", request_log_}});
  }
  if (c.req.path == "/emulator/faults") {
    if (c.req.method == "DELETE") {  // also lets every held request go
      faults_.clear();
      ++release_generation_;
      released_.notify_all();
      return Reply(c.res, 200, {{"faults", 0}});
    }
    if (c.req.method == "GET") return Reply(c.res, 200, {{"faults", faults_.size()}, {"held", held_}});
    Json f = Json::parse(c.req.body, nullptr, false);
    if (!f.is_object()) return Fail(c.res, 400, "BadRequest", "fault: expected a JSON object");
    std::string hold = f.value("hold", "");
    if (hold != "" && hold != "before" && hold != "after")
      return Fail(c.res, 400, "BadRequest", "fault: hold is \"before\" or \"after\"");
    faults_.push_back({f.value("method", ""), f.value("pathPrefix", ""), f.value("status", 0),
                       f.value("retryAfterSeconds", 0), f.value("latencyMs", 0), f.value("times", 1),
                       f.value("skip", 0), f.value("drop", false), hold});
    return Reply(c.res, 201, {{"faults", faults_.size()}});
  }
  NoSuchPath(c.res);
}

void ApiServer::Discovery(Call& c) {
  const std::string& p = c.req.path;
  if (p == "/version") return Reply(c.res, 200, VersionDocument());
  if (p == "/api") return Reply(c.res, 200, CoreVersions());
  if (p == "/apis") return Reply(c.res, 200, GroupList(Served()));
  if (p == "/openapi/v3") return Reply(c.res, 200, OpenApiIndex(Served()));
  if (p == "/openapi/v2") {
    // kubectl's client-side validation reads v2 as protobuf for kinds v3 does not describe; an
    // empty message is a valid, empty document, so it goes on to report the unknown kind itself.
    c.res.status = 200;
    c.res.set_content("", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    return;
  }
  if (p.rfind("/openapi/v3/", 0) == 0) {
    std::string key = p.substr(12);
    std::string gv = key.rfind("api/", 0) == 0 ? key.substr(4) : key.rfind("apis/", 0) == 0 ? key.substr(5) : "";
    Json doc = OpenApiDocument(Served(), gv);
    if (!doc.is_null()) return Reply(c.res, 200, doc);
  }
  NoSuchPath(c.res);
}

void ApiServer::ResourceRequest(Call& c) {
  std::vector<std::string> seg;
  for (const std::string& s : Split(c.req.path.substr(1), '/'))
    if (!s.empty()) seg.push_back(s);
  std::string group, version;
  size_t i;
  if (seg[0] == "api") {
    if (seg.size() < 2) return NoSuchPath(c.res);
    version = seg[1];
    i = 2;
  } else {
    if (seg.size() < 3) return NoSuchPath(c.res);
    group = seg[1];
    version = seg[2];
    i = 3;
  }
  std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
  if (rest.empty()) {
    Json list = ResourceList(Served(), group.empty() ? version : group + "/" + version);
    if (list.is_null()) return NoSuchPath(c.res);
    return Reply(c.res, 200, list);
  }
  std::string plural;
  size_t at = 0;
  if (rest[0] == "namespaces" && rest.size() >= 3 && Lookup(group, version, rest[2])) {
    c.ns = rest[1];
    plural = rest[2];
    at = 3;
  } else {
    plural = rest[0];
    at = 1;
  }
  c.resource = Lookup(group, version, plural);
  if (!c.resource || (c.resource->namespaced == false && !c.ns.empty())) return NoSuchPath(c.res);
  if (at < rest.size()) c.name = rest[at];
  if (at + 1 < rest.size()) c.sub = rest[at + 1];
  if (at + 2 < rest.size()) return NoSuchPath(c.res);
  if (!c.sub.empty() && std::find(c.resource->subresources.begin(), c.resource->subresources.end(), c.sub) ==
                            c.resource->subresources.end())
    return NoSuchPath(c.res);

  const std::string& m = c.req.method;
  bool watch =
      c.req.has_param("watch") && c.req.get_param_value("watch") != "false" && c.req.get_param_value("watch") != "0";
  if (m == "GET")
    c.verb = watch ? "watch" : c.name.empty() ? "list" : "get";
  else if (m == "POST")
    c.verb = "create";
  else if (m == "PUT")
    c.verb = "update";
  else if (m == "PATCH")
    c.verb = "patch";
  else if (m == "DELETE")
    c.verb = c.name.empty() ? "deletecollection" : "delete";
  if (c.resource->create_only && c.verb != "create")
    return Fail(c.res, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  c.dry_run = c.req.has_param("dryRun");
  if (c.dry_run && c.req.get_param_value("dryRun") != "All")
    return Fail(c.res, 422, "Invalid",
                "dryRun: Unsupported value: \"" + c.req.get_param_value("dryRun") + "\": supported values: \"All\"");

  if (!c.resource->create_only) {
    Attributes a{c.verb, c.resource->group, c.resource->name, c.sub, c.ns, c.name};
    std::lock_guard<std::mutex> lock(store_.mu());
    Decision d = Authorize(c.user, a, RbacLister());
    if (!d.allowed)
      return Fail(c.res, 403, "Forbidden", ForbiddenMessage(c.user, a, c.resource->Qualified(), d.reason),
                  {{"name", c.name}, {"group", c.resource->group}, {"kind", c.resource->name}});
  }
  if (c.verb == "watch") return Watch(c);
  if (c.verb == "get" || c.verb == "list") return GetOrList(c);
  if (c.verb == "create" && c.resource->create_only) return AccessReview(c);
  if (c.verb == "create")
    Create(c);
  else if (c.verb == "update")
    Update(c);
  else if (c.verb == "patch")
    Patch(c);
  else if (c.verb == "delete")
    Delete(c);
  else
    return Fail(c.res, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  if (c.write && c.resource->kind == "CustomResourceDefinition") {
    std::lock_guard<std::mutex> lock(store_.mu());
    SyncDefinitions();
  }
  if (c.write && !c.ns.empty()) {  // a finalizer removed may end a Terminating namespace
    std::lock_guard<std::mutex> lock(store_.mu());
    FinishNamespace(c.ns);
  }
}

bool ApiServer::Impersonate(Call& c) {
  std::string name = c.req.get_header_value("Impersonate-User");
  if (name.empty()) return Fail(c.res, 400, "BadRequest", "requested impersonation of groups without a user"), false;
  UserInfo as{name, {}};
  std::vector<Attributes> checks;
  auto parts = Split(name, ':');
  if (name.rfind("system:serviceaccount:", 0) == 0 && parts.size() == 4) {
    as = ServiceAccountUser(parts[2], parts[3]);
    checks.push_back({"impersonate", "", "serviceaccounts", "", parts[2], parts[3]});
  } else {
    checks.push_back({"impersonate", "", "users", "", "", name});
  }
  const size_t groups = c.req.get_header_value_count("Impersonate-Group");
  if (groups > 0) as.groups.clear();  // the groups asked for replace the service account's
  for (size_t i = 0; i < groups; ++i) {
    std::string g = c.req.get_header_value("Impersonate-Group", i);
    as.groups.push_back(g);
    checks.push_back({"impersonate", "", "groups", "", "", g});
  }
  if (std::find(as.groups.begin(), as.groups.end(), "system:authenticated") == as.groups.end())
    as.groups.push_back("system:authenticated");
  std::lock_guard<std::mutex> lock(store_.mu());
  for (const Attributes& a : checks) {
    Decision d = Authorize(c.user, a, RbacLister());
    if (!d.allowed) {
      Fail(c.res, 403, "Forbidden", ForbiddenMessage(c.user, a, a.resource, d.reason),
           {{"name", a.name}, {"kind", a.resource}});
      return false;
    }
  }
  c.user = as;
  return true;
}

ResourceSet ApiServer::Served() const {
  ResourceSet all;
  for (const Resource& r : AllResources()) all.push_back(&r);
  for (const Resource* r : custom_.All()) all.push_back(r);
  return all;
}

const Resource* ApiServer::Lookup(const std::string& group, const std::string& version,
                                  const std::string& plural) const {
  const Resource* r = FindResource(group, version, plural);
  return r ? r : custom_.Find(group, version, plural);
}

void ApiServer::SyncDefinitions() {
  const Resource& crds = *FindResource("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  std::set<std::string> defined;
  for (const Json& crd : store_.List(crds, "")) {
    custom_.Serve(crd);
    defined.insert(crd["metadata"].value("name", ""));
  }
  for (const Resource* r : custom_.All()) {
    if (defined.count(r->crd)) continue;
    for (const Json& o : store_.List(*r, ""))
      store_.Remove(*r, o["metadata"].value("namespace", ""), o["metadata"].value("name", ""));
    custom_.Withdraw(r->crd);
  }
}

ListFn ApiServer::RbacLister() {
  return [this](const std::string& kind, const std::string& ns) {
    const Resource* r = FindKind("rbac.authorization.k8s.io", kind);
    return r ? store_.List(*r, ns) : std::vector<Json>{};
  };
}

std::string ApiServer::AllocateClusterIp() {
  int n = next_ip_++;
  return "10.96." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1);
}

int ApiServer::AllocateNodePort() { return next_node_port_++; }

}  // namespace emulator
