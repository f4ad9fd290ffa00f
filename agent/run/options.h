// What `warren run` is told: the sources it keeps live and how. Filled from flags or from a
// config file (agent/run/config_file.h); nothing here names a flag.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/forge/commit_status.h"
#include "agent/source/desired.h"

namespace warren::run {

struct RabbitTarget {
  std::vector<std::string> urls;  // management API, failover in order
  std::string credentials_file;   // "" = RABBITMQ_USERNAME/RABBITMQ_PASSWORD; re-read after a 401
  std::string ca_file;
  std::chrono::milliseconds timeout{10000};
  std::string inventory;  // "" = warren-inventory (source "warren") or warren-inventory-<name>
  // Each node's own management API, for the checks before its pod restarts (agent/rollout).
  std::string pod_url_template;        // "" = the default (node_address.h)
  std::vector<std::string> node_urls;  // [STATEFULSET/]ORDINAL=URL
};

struct SourceSpec {
  std::string name = "warren";    // the warren.io/source label: who owns what
  source::DesiredSource desired;  // paths, or a git repository
  std::string ns;                 // default namespace of objects ("" = the cluster's)
  std::string inventory_ns;       // where the inventory ConfigMap lives ("" = ns)
  std::optional<RabbitTarget> rabbit;
  bool prune = false;
  std::chrono::milliseconds interval{300000};  // git poll and full resync
  bool suspend = false;                        // write nothing for this source (drift is still reported), as a dry run
  // A new commit is applied only after a server dry run of all of it passed: a source whose
  // requests are bounded by RBAC (impersonation) gets refusals before anything is written.
  bool dry_run_first = false;

  std::string KubeInventoryName() const { return name == "warren" ? "warren-inventory" : "warren-inventory-" + name; }
  std::string RabbitInventoryName() const {
    if (rabbit && !rabbit->inventory.empty()) return rabbit->inventory;
    return KubeInventoryName();
  }
};

struct LeaderElection {
  bool enabled = false;
  std::string name = "warren", ns;  // ns "" = the cluster's default namespace
  std::chrono::milliseconds duration{15000};
  std::string identity;  // "" = hostname + random suffix
  // Where the other replicas reach this one's listener (http://10.0.0.7:8080): a follower hands
  // webhooks to the leader there. "" = a follower answers them 503.
  std::string advertise_url;
};

// Sources from WarrenSource objects (agent/run/source_controller.h), besides `sources`.
struct SourceObjects {
  bool enabled = false;
  std::string ns;         // "" = every namespace
  std::string state_dir;  // their git caches and credential files ("" = ~/.cache/warren/sources)
  SourceSpec defaults;    // what an object does not say (the kustomize command, say)
};

struct AgentOptions {
  std::vector<SourceSpec> sources;
  SourceObjects source_objects;
  bool kube_target = true;  // false: RabbitMQ only
  bool dry_run = false;     // report drift, write nothing at all
  bool force_conflicts = false;
  int apply_concurrency = 8;              // server-side applies in flight at once within a stage
  std::string listen = ":8080";           // webhooks, and whatever has no address of its own
  std::string health_addr, metrics_addr;  // /healthz and /readyz, /metrics ("" = on `listen`)
  std::chrono::milliseconds health_interval{30000};
  std::chrono::seconds timeout{300};  // readiness and broker waits inside a reconcile
  LeaderElection leader;
  std::chrono::milliseconds max_backoff{300000};
  int watch_seconds = 300;
  std::string webhook_secret_file;             // "" = no webhook endpoints
  std::optional<forge::StatusOptions> status;  // commit statuses, when set
};

}  // namespace warren::run
