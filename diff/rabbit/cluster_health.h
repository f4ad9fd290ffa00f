// Cluster health and mirror status, computed from what the management API returns: the node list,
// the queue listing (`/api/queues?disable_stats=true&enable_queue_totals=true`, which has no stats
// lag), the policies, and the health-check endpoints' answers. Pure: the agent fetches, this judges.
//
// Expected mirrors for a classic queue under an ha-* policy: ha-mode all → nodes − 1;
// exactly n → min(n, nodes) − 1; nodes [list] → listed cluster nodes − 1. "nodes" is the expected
// cluster size (the StatefulSet's replicas when known), so a stopped node shows as a missing mirror.
// Quorum queues: every member online and a leader elected. Node lists compare as sets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diff/model/object.h"
#include "diff/model/status.h"

namespace warren::rabbit {

// The fields of one /api/queues entry that health needs; everything else is dropped while parsing.
struct QueueSample {
  std::string vhost, name, type, policy, node, leader, state;
  std::vector<std::string> slave_nodes, synchronised_slave_nodes, members, online;
  long long messages = 0;
};

// Parses a queue listing, keeping only QueueSample's fields (a 20,000-queue listing is tens of MB).
Result<std::vector<QueueSample>> ParseQueueListing(std::string_view text);

struct HealthCheckResult {
  std::string node;   // the management URL asked
  std::string check;  // alarms, node-is-quorum-critical, ...
  bool reachable = true;
  bool ok = true;
  std::string reason;              // the server's reason when failed, or the connection error
  std::vector<std::string> items;  // queues or alarms the failure names
};

struct HealthInputs {
  Json nodes = Json::array();  // GET /api/nodes
  std::vector<QueueSample> queues;
  Json policies = Json::array();  // GET /api/policies
  std::vector<HealthCheckResult> checks;
  int expected_nodes = 0;  // 0: the number of nodes the cluster lists
};

struct NodeState {
  std::string name;
  std::optional<bool> running;  // null in /api/nodes means unknown
  bool mem_alarm = false, disk_alarm = false;
  std::vector<std::string> partitions;
};

struct MirrorState {
  std::string vhost, name, type;         // type: classic (mirrored) or quorum
  std::string policy, mode;              // ha policy and ha-mode, for classic queues
  int expected = 0;                      // mirrors (classic) or members (quorum) that should be in sync/online
  std::vector<std::string> in_sync;      // synchronised mirrors / online members
  std::vector<std::string> not_in_sync;  // unsynchronised mirrors / offline members
  std::string leader;
  bool healthy = true;
  std::string problem;
};

struct ClusterHealth {
  int expected_nodes = 0;
  int running_nodes = 0;
  std::vector<NodeState> nodes;
  std::vector<MirrorState> mirrored;  // classic queues under an ha-* policy
  std::vector<MirrorState> quorum;
  std::vector<std::string> alarms;  // "rabbit2@localhost: memory"
  std::vector<HealthCheckResult> checks;
  // Empty when healthy. One line per cause, at most about a dozen whatever the queue count: node
  // problems, then unhealthy queues grouped by cause (each queue's own problem is in its
  // MirrorState). `causes` is parallel: the same problems without counts or names, so a change of
  // state can be told from a change of numbers.
  std::vector<std::string> problems;
  std::vector<std::string> causes;
  bool healthy() const { return problems.empty(); }
};

ClusterHealth AssessHealth(const HealthInputs& in);

// Mirrored queues the listing shows as under-mirrored or unsynchronised. Measured on 3.10.8: after
// a node rejoins or a policy changes, the disable_stats listing can keep showing stale
// slave_nodes/synchronised_slave_nodes for minutes after the queue process (rabbitmqctl
// list_queues, the single-queue GET) has its mirrors in sync, so each of these is worth one
// confirming read. Indexes into in.queues.
std::vector<size_t> QueuesToConfirm(const HealthInputs& in);

// Queue replication alone, as one verdict: every mirrored queue has its expected mirrors in sync
// and every quorum queue all members online. "1/2 mirrored queues synchronised, 5/6 quorum members online"
struct MirrorsVerdict {
  bool ok = true;
  std::string description;
};
MirrorsVerdict JudgeMirrors(const ClusterHealth& h);

// "3/3 nodes, 12/12 mirrored queues synchronised, 2/2 quorum queues fully online, 0 alarms"
std::string HealthSummary(const ClusterHealth& h);
// The warren/health commit status: the summary when healthy, else "degraded: <first problem>
// (+N more)".
std::string HealthDescription(const ClusterHealth& h);
std::string RenderHealthText(const ClusterHealth& h);
// 2998 → "2,998".
std::string WithThousands(size_t n);
Json HealthToJson(const ClusterHealth& h);

}  // namespace warren::rabbit
