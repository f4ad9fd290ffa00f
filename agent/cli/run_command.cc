#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/cli/commands.h"
#include "agent/cli/commit_status_args.h"
#include "agent/cli/desired_args.h"
#include "agent/cli/kube_connect.h"
#include "agent/run/agent.h"
#include "agent/run/config_file.h"
#include "diff/model/duration.h"

namespace warren::cli {
namespace {

Status Duration(const std::string& flag, const std::string& text, std::chrono::milliseconds* out) {
  auto d = ParseDuration(text);
  if (!d.ok()) return d.status().WithContext(flag);
  if (d.value().count() <= 0) return Status::Invalid(flag + ": must be more than 0");
  *out = d.value();
  return Status::Ok();
}

// The Deployment passes the pod's IP as POD_IP (the downward API): with the listener's port it is
// where the other replicas reach this one.
std::string DefaultAdvertiseUrl(const std::string& listen) {
  const char* ip = std::getenv("POD_IP");
  size_t colon = listen.rfind(':');
  if (!ip || !*ip || colon == std::string::npos) return "";
  std::string host = ip;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6
  return "http://" + host + ":" + listen.substr(colon + 1);
}

Result<run::AgentOptions> ToOptions(const RunArgs& a, bool kube, const std::string& ns) {
  run::AgentOptions o;
  o.kube_target = kube;
  o.dry_run = a.dry_run;
  o.force_conflicts = a.force_conflicts;
  o.apply_concurrency = a.apply_concurrency;
  o.listen = a.listen;
  o.health_addr = a.health_addr;
  o.metrics_addr = a.metrics_addr;
  std::chrono::milliseconds timeout{};
  WARREN_RETURN_IF_ERROR(Duration("--health-interval", a.health_interval, &o.health_interval));
  WARREN_RETURN_IF_ERROR(Duration("--timeout", a.timeout, &timeout));
  o.timeout = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  o.webhook_secret_file = a.webhook_secret_file;
  if (a.status.enabled()) o.status = ToStatusOptions(a.status);
  o.leader.enabled = a.leader_elect;
  o.leader.name = a.lease_name;
  o.leader.ns = a.lease_namespace;
  WARREN_RETURN_IF_ERROR(Duration("--lease-duration", a.lease_duration, &o.leader.duration));
  if (o.leader.duration < std::chrono::seconds(3)) return Status::Invalid("--lease-duration: at least 3s");
  o.leader.advertise_url = a.advertise_url.empty() ? DefaultAdvertiseUrl(a.listen) : a.advertise_url;
  while (!o.leader.advertise_url.empty() && o.leader.advertise_url.back() == '/') o.leader.advertise_url.pop_back();
  if (!o.leader.advertise_url.empty() && o.leader.advertise_url.rfind("http://", 0) != 0 &&
      o.leader.advertise_url.rfind("https://", 0) != 0)
    return Status::Invalid("--advertise-url: \"" + o.leader.advertise_url + "\" is not an http:// or https:// URL");

  run::SourceSpec defaults;
  defaults.ns = a.namespace_given ? a.default_namespace : ns;
  defaults.inventory_ns = a.inventory_namespace;
  defaults.prune = a.prune;
  WARREN_RETURN_IF_ERROR(Duration("--interval", a.interval, &defaults.interval));
  defaults.desired.kustomize.command = a.source.kustomize_command;
  defaults.desired.decryption = ToDecryptionOptions(a.source.decryption);
  if (a.rabbit.enabled())
    defaults.rabbit = run::RabbitTarget{a.rabbit.urls,
                                        a.rabbit.credentials_file,
                                        a.rabbit.ca_file,
                                        std::chrono::milliseconds(a.rabbit.timeout_ms),
                                        a.rabbit.inventory == "warren-inventory" ? "" : a.rabbit.inventory,
                                        a.rabbit.pod_url_template,
                                        a.rabbit.node_urls};
  if (!a.config.empty()) {
    if (!a.paths.empty() || a.source.enabled()) return Status::Invalid("give --config or PATHs/--repo, not both");
    std::ifstream in(a.config);
    if (!in) return Status::Io("--config " + a.config + ": cannot read the file");
    std::stringstream text;
    text << in.rdbuf();
    if (a.source.enabled() || !a.source.cache_dir.empty())
      defaults.desired.git = ToDesiredSource({}, a.source, defaults.ns).git;
    WARREN_ASSIGN_OR_RETURN(auto sources, run::ParseConfig(text.str(), a.config, defaults));
    o.sources = std::move(sources);
  } else if (!a.paths.empty() || a.source.enabled()) {
    defaults.desired = ToDesiredSource(a.paths, a.source, defaults.ns);
    o.sources.push_back(defaults);
  } else if (!a.watch_sources) {
    return Status::Invalid("give PATHs, --repo, --config or --watch-sources");
  }
  if (a.watch_sources) {
    if (!kube) return Status::Invalid("--watch-sources needs a Kubernetes cluster (the WarrenSources live there)");
    o.source_objects.enabled = true;
    o.source_objects.ns = a.sources_namespace;
    o.source_objects.state_dir = a.state_dir;
    if (o.source_objects.state_dir.empty()) {
      const char* home = std::getenv("HOME");
      o.source_objects.state_dir = std::string(home && *home ? home : "/tmp") + "/.cache/warren/sources";
    }
    o.source_objects.defaults = defaults;
  }
  if (!kube)
    for (const auto& s : o.sources)
      if (!s.rabbit)
        return Status::Invalid("source " + s.name + " has no target: no cluster is named and it has no RabbitMQ URLs");
  if (a.leader_elect && !kube)
    return Status::Invalid("--leader-elect needs a Kubernetes cluster (its Lease lives there)");
  if (a.leader_elect && a.dry_run)
    return Status::Invalid("--dry-run writes nothing, not even a Lease: run it without --leader-elect");
  return o;
}

}  // namespace

int RunAgent(const RunArgs& args, std::ostream& err) {
  // SIGTERM and SIGINT go to one thread that turns them into a stop; every other thread
  // (created below, so inheriting the mask) never sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto log = run::Logger::Create({args.log_format, args.log_level});
  if (!log.ok()) {
    err << "warren run: " << log.status().message() << "\n";
    return kExitError;
  }
  bool kube = ClusterNamed(args.kube);
  std::string ns =
      kube ? DefaultNamespace(args.kube, args.namespace_given, args.default_namespace) : args.default_namespace;
  auto options = ToOptions(args, kube, ns);
  if (!options.ok()) {
    err << "warren run: " << options.status().message() << "\n";
    return kExitError;
  }
  std::unique_ptr<kube::KubeClient> client;
  if (kube) {
    auto c = ConnectKube(args.kube, args.namespace_given ? args.default_namespace : "");
    if (!c.ok()) {
      err << "warren run: " << c.status().message() << "\n";
      return kExitError;
    }
    client = std::move(c).value();
  }
  run::Agent agent(std::move(options).value(), std::move(client), log.value());
  Status listening = agent.Listen();
  if (!listening.ok()) {
    err << "warren run: " << listening.message() << "\n";
    return kExitError;
  }
  StopSource stop;
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != 0) log.value()->Info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop.RequestStop();
  });
  Status s = agent.Run(stop);  // returns only after the stop, so the signal thread has ended
  signal_thread.join();
  if (!s.ok()) {
    err << "warren run: " << s.message() << "\n";
    return kExitError;
  }
  return kExitClean;
}

}  // namespace warren::cli
