// `warren run`: the long-running agent. It serves /healthz, /readyz, /metrics and the webhooks
// on its listener, or the probes and /metrics on listeners of their own (as controllers do: a
// flood of slow clients on the webhook port then leaves the liveness probe answering), optionally
// takes part in leader election, and while it leads (or always, without election)
// runs one SourceLoop per source. Losing the Lease stops every loop's in-flight requests at once
// (their stop token is the leadership term's); shutdown stops the loops first, then releases the
// Lease, so a successor never overlaps with a writer.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "agent/kube/client.h"
#include "agent/net/http_server.h"
#include "agent/run/log.h"
#include "agent/run/metrics.h"
#include "agent/run/options.h"
#include "agent/util/cancel.h"

namespace warren::run {

class Agent {
 public:
  // `kube` may be null when there is no Kubernetes target (RabbitMQ only; no leader election).
  Agent(AgentOptions options, std::unique_ptr<kube::KubeClient> kube, std::shared_ptr<Logger> log);
  ~Agent();

  // Binds the listeners: fails when an address is taken or malformed.
  Status Listen();
  int port() const { return port_; }  // of the main listener (tests pick port 0)
  int health_port() const { return health_port_; }
  int metrics_port() const { return metrics_port_; }
  // Runs until `stop`; returns once the loops stopped and the Lease was released.
  Status Run(const StopSource& stop);

  Metrics& metrics() { return metrics_; }

 private:
  Status AddWebhooks(net::HttpServer& server);  // POST /hooks/github|gitea|gitlab

  struct Impl;
  std::unique_ptr<Impl> impl_;
  AgentOptions options_;
  std::unique_ptr<kube::KubeClient> kube_;
  std::shared_ptr<Logger> log_;
  Metrics metrics_;
  int port_ = 0, health_port_ = 0, metrics_port_ = 0;
};

}  // namespace warren::run
