// Drives the broker-aware rollout of one RabbitMQ StatefulSet (see diff/rollout/rollout.h): each
// Advance() reads the StatefulSet and its pods, decides the next step (diff/rollout/step.h), asks
// the broker when the step needs it (diff/rollout/gate.h), and makes at most one write — the
// StatefulSet re-applied with a lower partition or replica count and the state annotation, or
// pod N deleted under OnDelete. Nothing is forced: a gate that fails only waits, and a wait that
// lasts longer than `timeout` marks the rollout halted (it stays held; nothing is deleted).
//
// `warren sync` calls Run() (Advance until done or halted); the agent calls Advance() on its
// rollout lane's ticks and keeps going when a halted gate passes again.
//
// Threads: one caller at a time. Writes take `write_lock` when given (the agent's lanes share it).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/kube/api.h"
#include "agent/rabbitmq/connect.h"
#include "agent/rabbitmq/management_api.h"
#include "agent/rollout/node_address.h"
#include "agent/util/cancel.h"
#include "diff/rollout/gate.h"
#include "diff/rollout/step.h"

namespace warren::rollout {

struct DriverOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // bounds each wait, not the whole rollout
  std::chrono::milliseconds poll{std::chrono::seconds(1)};     // Run()'s pace
  // Streams on 3.9–3.11.3 are judged by warren, from `online`, which lags node changes by up to
  // ~18 s: their gate must hold this long before it counts.
  std::chrono::milliseconds stream_settle{std::chrono::seconds(20)};
  NodeAddressOptions addresses;
  // One management API per node URL (no failover: the node asked is the node judged).
  std::function<Result<std::unique_ptr<rabbitmq::ManagementApi>>(const std::string& url)> connect_node;
  const Clock* clock = nullptr;
  std::mutex* write_lock = nullptr;
  bool dry_run = false;                              // decide and say, write nothing
  std::function<void(const std::string&)> progress;  // one line per change of step
};

// Where a rollout stands after one Advance.
struct Progress {
  std::string statefulset;  // StatefulSet ns/name
  StepKind step = StepKind::kIdle;
  int ordinal = -1;
  std::string pod, node;
  int replicas = 0, updated = 0;
  bool rolling = false;      // a template rollout or scale-down is unfinished
  bool halted = false;       // the current wait outlasted the timeout
  bool gate_failed = false;  // waiting on a broker check (not on Kubernetes)
  std::string waiting_for;   // what it waits for, naming queue, check, node and pod
  std::string brief;         // the same in a few words (a commit status); "" = waiting_for
  double waiting_seconds = 0;
  std::string action;  // what this Advance did ("" = nothing)
  std::vector<std::string> notes;
  bool Finished() const { return !rolling; }
  // "pod 2 of 3: waiting, queue 'q' in vhost '/' would lose quorum if rabbit@… (pod …) stopped"
  std::string Summary() const;
  // The same for a commit status (forges show about 140 characters): "pod 1 of 3: waiting,
  // orders.audit would lose quorum on rabbit@rabbitmq-2.rabbitmq-nodes.dev".
  std::string StatusLine() const;
};

// `o.addresses` and `o.connect_node` for a cluster reached as `cluster` says (its first URL's
// scheme and port, its credentials, CA and timeout), each node asked on its own.
Status ConnectNodesLike(const rabbitmq::ConnectOptions& cluster, const std::string& url_template,
                        const std::vector<std::string>& node_urls, DriverOptions& o);

class Driver {
 public:
  Driver(kube::Api& kube, DriverOptions options);
  // `desired`: git's StatefulSet as warren applies it (labels on), without the rollout overlay.
  Result<Progress> Advance(const Object& desired, const StopToken& stop);
  // Advance until finished, halted or stopped; every change of step goes to `progress`.
  Result<Progress> Run(const Object& desired, const StopToken& stop);

  // Broker-side answers for one node of a StatefulSet, read-only (warren diff and status use it).
  Result<GateVerdict> AskGate(const SetView& set, int ordinal, const std::vector<std::string>& departed);

 private:
  struct Node {
    std::unique_ptr<rabbitmq::ManagementApi> api;
    std::string url, name, version;
  };
  Result<Node*> Reach(const SetView& set, int ordinal);  // asks /api/overview: who answers there
  Node* Known(const SetView& set, int ordinal);          // as last reached, without a request
  Result<RejoinVerdict> AskRejoin(const SetView& set, int ordinal);
  Result<Json> GetJson(Node& n, const std::string& path);
  Status Write(const Object& desired, const Json& live, const std::function<void(Json&, RolloutState&)>& edit);
  Status DeletePod(const SetView& set, int ordinal, const std::string& uid);
  // kExpired when the StatefulSet's resourceVersion is no longer the one `live` has: what was
  // decided from it is stale.
  Status Unchanged(const Json& live);
  // Starts or continues the clock of the current wait; true once it outlasted the timeout.
  bool Waited(const std::string& key, Progress& p);
  void Say(const Progress& p);

  kube::Api& kube_;
  DriverOptions o_;
  const Clock& clock_;
  std::map<std::string, Node> nodes_;  // by URL
  std::string wait_key_;
  Clock::TimePoint wait_since_{}, gate_pass_since_{};
  std::string gate_pass_key_;
  std::string last_said_;
};

}  // namespace warren::rollout
