#include "agent/run/agent.h"

#include <strings.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "agent/net/http_client.h"
#include "agent/run/events.h"
#include "agent/run/leader.h"
#include "agent/run/process_metrics.h"
#include "agent/run/source_controller.h"
#include "agent/run/source_loop.h"
#include "agent/webhook/webhook.h"

namespace warren::run {

struct Agent::Impl {
  std::vector<std::unique_ptr<net::HttpServer>> servers;  // the main listener first
  std::atomic<bool> leading{false};
  std::atomic<int> ready_sources{0};
  std::atomic<bool> started{false};
  std::vector<std::unique_ptr<SourceLoop>> loops;
  std::unique_ptr<SourceController> objects;  // sources from WarrenSource objects, during a term
  std::mutex loops_mu;                        // the webhook handlers read `loops` and `objects` while Run fills them
  std::unique_ptr<forge::StatusReporter> statuses;
  webhook::DeliveryLog deliveries;

  std::mutex mu;
  std::condition_variable cv;
  bool leadership_changed = false;

  // The leader's advertised URL while another replica leads (see LeaderOptions::on_leader_url).
  std::mutex leader_url_mu;
  std::string leader_url;
  std::string identity;
  StopToken stop;  // the agent's: a forwarded webhook stops with it
  std::string LeaderUrl() {
    std::lock_guard<std::mutex> lock(leader_url_mu);
    return leader_url;
  }
};

namespace {

// The header a replica adds when it hands a webhook on: the receiver never hands it on again.
constexpr const char* kForwardedHeader = "X-Warren-Forwarded-By";

// Hands a delivery (its body and the forge's event and delivery headers) to the leader, signed with
// the webhook secret in place of the forge's credentials, which stay here: the leader checks that
// signature, so a follower adds no trust and the URL in the Lease learns no secret. The leader's
// answer is passed back to the forge.
webhook::Verdict ForwardToLeader(const std::string& leader_url, const net::ServerRequest& req,
                                 const std::string& secret, const std::string& identity, const StopToken& stop) {
  net::HttpClientOptions o;
  o.timeout_ms = 5000;
  o.connect_timeout_ms = 2000;
  net::HttpClient http(o);
  net::HttpRequest forward{"POST", leader_url + req.path, {}, req.body, stop};
  for (const auto& [name, value] : req.headers) {
    bool forge_header = name.size() > 2 && (name[0] == 'X' || name[0] == 'x') && name[1] == '-';
    if ((forge_header && !webhook::IsCredentialHeader(name)) || strcasecmp(name.c_str(), "Content-Type") == 0)
      forward.headers[name] = value;
  }
  forward.headers[webhook::kForwardSignatureHeader] = webhook::ForwardSignature(secret, req.body);
  forward.headers[kForwardedHeader] = identity;
  webhook::Verdict v;
  auto reply = http.Send(forward);
  if (!reply.ok()) {
    v.status = 503;
    v.result = "not_leader";
    v.body = "this replica is not the leader, and the leader at " + leader_url + " did not take the push (" +
             reply.status().message() + "); it is applied at the leader's next poll\n";
    return v;
  }
  v.status = static_cast<int>(reply.value().status);
  v.result = "forwarded";
  v.body = reply.value().body;
  return v;
}

}  // namespace

Agent::Agent(AgentOptions options, std::unique_ptr<kube::KubeClient> kube, std::shared_ptr<Logger> log)
    : impl_(std::make_unique<Impl>()), options_(std::move(options)), kube_(std::move(kube)), log_(std::move(log)) {}

Agent::~Agent() {
  for (auto& server : impl_->servers) server->Stop();
}

Status Agent::Listen() {
  Impl* impl = impl_.get();
  const size_t sources = options_.sources.size();
  // The webhook listener faces the forges, i.e. the internet: a request has 5 s for its head and
  // 10 s for its body, and 64 connections are read at once (see net::HttpServer).
  net::HttpServerOptions exposed;
  exposed.on_refused = [this](const std::string& reason, const std::string& path) {
    metrics_.Inc("warren_http_refused_total", {{"reason", reason}});
    if (reason == "too_large" && path.rfind("/hooks/", 0) == 0)
      metrics_.Inc("warren_webhooks_total", {{"forge", path.substr(7)}, {"result", "too_large"}});
  };
  auto server = std::make_unique<net::HttpServer>(exposed);
  net::HttpServer* exposed_server = server.get();
  impl->servers.push_back(std::move(server));
  auto own = [&](const std::string& address) {
    if (address.empty()) return exposed_server;
    impl->servers.push_back(std::make_unique<net::HttpServer>(net::HttpServerOptions{}));
    return impl->servers.back().get();
  };
  net::HttpServer* health = own(options_.health_addr);
  net::HttpServer* metrics = own(options_.metrics_addr);
  health->Handle("GET", "/healthz", [](const net::ServerRequest&, net::ServerResponse& res) { res.body = "ok\n"; });
  health->Handle("GET", "/readyz", [impl, sources](const net::ServerRequest&, net::ServerResponse& res) {
    // A follower is ready to take over; a leader once every source reconciled once.
    bool ready = impl->started && (!impl->leading || impl->ready_sources.load() >= static_cast<int>(sources));
    res.status = ready ? 200 : 503;
    res.body = ready ? "ok\n" : "not ready: the first reconcile has not finished\n";
  });
  metrics->Handle("GET", "/metrics", [this](const net::ServerRequest&, net::ServerResponse& res) {
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    RecordProcessStats(metrics_);
    res.body = metrics_.Render();
  });
  if (!options_.webhook_secret_file.empty()) WARREN_RETURN_IF_ERROR(AddWebhooks(*exposed_server));
  WARREN_RETURN_IF_ERROR(exposed_server->Listen(options_.listen));
  port_ = exposed_server->port();
  if (health != exposed_server) {
    WARREN_RETURN_IF_ERROR(health->Listen(options_.health_addr));
    health_port_ = health->port();
  }
  if (metrics != exposed_server && metrics != health) {
    WARREN_RETURN_IF_ERROR(metrics->Listen(options_.metrics_addr));
    metrics_port_ = metrics->port();
  }
  if (!health_port_) health_port_ = port_;
  if (!metrics_port_) metrics_port_ = port_;
  return Status::Ok();
}

Status Agent::AddWebhooks(net::HttpServer& server) {
  std::ifstream in(options_.webhook_secret_file);
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && isspace(static_cast<unsigned char>(secret.back()))) secret.pop_back();
  if (!in || secret.empty())
    return Status::Io("webhook secret file " + options_.webhook_secret_file + ": missing or empty");
  Impl* impl = impl_.get();
  for (webhook::Forge forge : {webhook::Forge::kGitHub, webhook::Forge::kGitea, webhook::Forge::kGitLab}) {
    std::string name = webhook::ForgeName(forge);
    server.Handle("POST", "/hooks/" + name,
                  [this, impl, forge, name, secret](const net::ServerRequest& req, net::ServerResponse& res) {
                    webhook::Verdict v = webhook::Receive(
                        forge, secret, [&](const std::string& h) { return req.Header(h); }, req.body);
                    // Only the leader remembers deliveries: one a follower could not hand on may come again.
                    if (v.push && impl->leading && !impl->deliveries.FirstTime(v.delivery)) {
                      v.status = 200;
                      v.result = "duplicate";
                      v.body = "delivery " + v.delivery + " already received\n";
                      v.push.reset();
                    }
                    int triggered = 0;
                    if (v.push) {
                      {
                        std::lock_guard<std::mutex> lock(impl->loops_mu);
                        auto trigger = [&](SourceLoop& loop) {
                          const auto& git = loop.spec().desired.git;
                          if (!git || !webhook::Matches(*v.push, git->url, git->ref)) return;
                          loop.Trigger("webhook " + name + " " + v.push->ref + " " + v.push->after.substr(0, 12));
                          ++triggered;
                        };
                        for (auto& loop : impl->loops) trigger(*loop);
                        if (impl->objects) impl->objects->ForEach(trigger);
                      }
                      std::string leader_url = impl->LeaderUrl();
                      if (!impl->leading && !leader_url.empty() && !req.HasHeader(kForwardedHeader)) {
                        std::string delivery = v.delivery;
                        v = ForwardToLeader(leader_url, req, secret, impl->identity, impl->stop);
                        v.delivery = delivery;
                      } else if (!impl->leading) {
                        v.status = 503;
                        v.result = "not_leader";
                        v.body = "this replica is not the leader; the push is applied at the leader's next poll\n";
                      } else if (triggered == 0) {
                        v.result = "no_source";
                        v.body = "no source fetches " + v.push->ref + " of that repository\n";
                      }
                    }
                    metrics_.Inc("warren_webhooks_total", {{"forge", name}, {"result", v.result}});
                    log_->Info(
                        "webhook",
                        {{"forge", name}, {"result", v.result}, {"delivery", v.delivery}, {"sources", triggered}});
                    res.status = v.status;
                    res.body = v.body;
                  });
  }
  return Status::Ok();
}

Status Agent::Run(const StopSource& stop) {
  Impl* impl = impl_.get();
  const std::string identity = options_.leader.identity.empty() ? DefaultIdentity() : options_.leader.identity;
  EventRecorder events("warren", identity);
  impl->identity = identity;
  impl->stop = stop.token();
  // Reads stop at shutdown; each term's writes stop with the term (SourceLoop).
  std::unique_ptr<kube::KubeClient> reader = kube_ ? kube_->WithStop(stop.token()) : nullptr;
  SourceContext ctx;
  ctx.kube = options_.kube_target ? reader.get() : nullptr;
  ctx.metrics = &metrics_;
  ctx.log = log_.get();
  ctx.events = &events;
  ctx.agent = &options_;
  ctx.on_first_reconcile = [impl] { ++impl->ready_sources; };
  if (options_.status) {
    forge::StatusOptions so = *options_.status;
    so.log = [this](const std::string& msg, const std::string& detail) { log_->Warn(msg, {{"detail", detail}}); };
    WARREN_ASSIGN_OR_RETURN(auto reporter, forge::StatusReporter::Create(so));
    impl->statuses = std::move(reporter);
    ctx.statuses = impl->statuses.get();
  }
  {
    std::lock_guard<std::mutex> lock(impl->loops_mu);
    for (const SourceSpec& s : options_.sources) impl->loops.push_back(std::make_unique<SourceLoop>(s, ctx));
  }

  // One term per leadership: its stop ends the loops' writes when leadership ends.
  std::optional<StopSource> term;
  std::vector<std::thread> threads;
  auto start_term = [&] {
    term = stop.Child();
    impl->ready_sources = 0;
    metrics_.Set("warren_leader", {}, 1);
    for (auto& loop : impl->loops) threads.emplace_back([&loop, t = *term] { loop->Run(t); });
    if (options_.source_objects.enabled && kube_) {
      SourceControllerOptions so{options_.source_objects.ns, options_.source_objects.state_dir,
                                 options_.source_objects.defaults};
      // A source that names a service account makes its requests as that account.
      ClientFor client_for = [this, agent_stop = stop.token()](const std::string& user) -> std::unique_ptr<kube::Api> {
        return kube_->Impersonating(user)->WithStop(agent_stop);  // "" impersonates nobody
      };
      {
        std::lock_guard<std::mutex> lock(impl->loops_mu);
        impl->objects = std::make_unique<SourceController>(std::move(so), ctx, std::move(client_for));
      }
      threads.emplace_back([objects = impl->objects.get(), t = *term] { objects->Run(t); });
    }
  };
  auto end_term = [&] {
    if (!term) return;
    term->RequestStop();
    for (auto& t : threads) t.join();
    threads.clear();
    {
      std::lock_guard<std::mutex> lock(impl->loops_mu);
      impl->objects.reset();
    }
    term.reset();
    metrics_.Set("warren_leader", {}, 0);
  };

  metrics_.Set("warren_leader", {}, 0);
  std::unique_ptr<LeaderElector> elector;
  std::thread elector_thread;
  if (options_.leader.enabled) {
    LeaderOptions lo;
    lo.name = options_.leader.name;
    lo.ns = options_.leader.ns.empty() ? kube_->config().namespace_ : options_.leader.ns;
    lo.identity = identity;
    lo.duration = options_.leader.duration;
    lo.log = [this](const std::string& msg, const std::string& detail) { log_->Info(msg, {{"lease", detail}}); };
    lo.advertise_url = options_.leader.advertise_url;
    lo.on_leader_url = [this, impl](const std::string& url) {
      {
        std::lock_guard<std::mutex> lock(impl->leader_url_mu);
        impl->leader_url = url;
      }
      if (!url.empty()) log_->Info("webhooks go to the leader", {{"leader", url}});
    };
    // The elector's own requests stop only at shutdown, never with a term.
    elector = std::make_unique<LeaderElector>(*reader, lo);
    log_->Info("waiting for leadership", {{"lease", lo.ns + "/" + lo.name}, {"identity", identity}});
    elector_thread = std::thread([&, impl] {
      elector->Run(stop.token(), [impl](bool leading) {
        {
          std::lock_guard<std::mutex> lock(impl->mu);
          impl->leading = leading;
          impl->leadership_changed = true;
        }
        impl->cv.notify_all();
      });
    });
  } else {
    impl->leading = true;
    start_term();
  }
  impl->started = true;
  log_->Info("agent started",
             {{"sources", options_.sources.size()}, {"listen", options_.listen}, {"dryRun", options_.dry_run}});

  // Wait for leadership changes or the stop.
  std::thread stop_waker([&] {
    while (stop.token().WaitFor(std::chrono::hours(1))) {
    }
    std::lock_guard<std::mutex> lock(impl->mu);
    impl->cv.notify_all();
  });
  while (!stop.stop_requested()) {
    bool leading;
    {
      std::unique_lock<std::mutex> lock(impl->mu);
      impl->cv.wait(lock, [&] { return impl->leadership_changed || stop.stop_requested(); });
      if (stop.stop_requested()) break;
      impl->leadership_changed = false;
      leading = impl->leading;
    }
    if (leading && !term) start_term();
    if (!leading && term) {
      log_->Warn("stopping writes: leadership lost");
      end_term();
    }
  }
  stop_waker.join();
  end_term();  // the loops have stopped writing before the Lease goes
  Status released;
  if (elector_thread.joinable()) elector_thread.join();
  if (elector) {
    released = elector->Release(*kube_);
    if (!released.ok()) log_->Warn("lease not released", {{"error", released.message()}});
  }
  for (auto& server : impl->servers) server->Stop();
  if (impl->statuses) impl->statuses->Flush(std::chrono::seconds(3));  // what is queued, briefly
  log_->Info("agent stopped");
  return Status::Ok();
}

}  // namespace warren::run
