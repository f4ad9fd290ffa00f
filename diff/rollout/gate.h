// The broker's side of a rollout step, judged from management API answers (no I/O here):
//  - the gate before pod N restarts, asked of node N itself (every health check judges the node
//    that answers): node-is-quorum-critical and node-is-mirror-sync-critical answer 200, every
//    other node runs with no partition, and on 3.9–3.11.3 (whose check ignores streams) no stream
//    with a replica on node N is down to its majority. A 404, 401, a refused connection or a
//    timeout means "cannot verify": wait, never pass.
//  - the rejoin after pod N restarted: node N running, back in `online` of every quorum queue and
//    stream it is a member of, and among the synchronised mirrors of every automatically
//    synchronised mirrored queue (manual-sync queues are named, not waited for: they resync only
//    when drained or told to).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "diff/model/object.h"

namespace warren::rollout {

// One HTTP answer from a node, or why there is none.
struct Answer {
  bool reached = false;  // false: no HTTP answer (refused, timed out); `error` says which
  long status = 0;
  std::string body;
  std::string error;
};

// A queue's replicas as the management API lists them.
struct QueueReplicas {
  std::string vhost, name, type;                   // type: quorum, classic, stream
  std::vector<std::string> members, online;        // quorum queues and streams
  std::string master;                              // classic: `node`
  std::vector<std::string> mirrors, synchronised;  // classic: slave_nodes, synchronised_slave_nodes
  std::string sync_mode;                           // classic: ha-sync-mode in effect ("" = unknown)
  bool mirrored() const { return type == "classic" && !mirrors.empty(); }
  std::string Readable() const;  // queue 'q' in vhost 'v'
};

// From /api/queues (any variant) or a single queue's GET (an object). Entries that are not
// objects are skipped.
std::vector<QueueReplicas> ParseQueues(const Json& listing);
QueueReplicas ParseQueue(const Json& queue);

// 3.9–3.11.3: streams exist but node-is-quorum-critical does not look at them.
bool NeedsOwnStreamRule(const std::string& broker_version);
// 4.0+: classic mirroring is gone and so is node-is-mirror-sync-critical (a 404 there passes).
bool MirrorCheckGone(const std::string& broker_version);

struct GateInput {
  std::string node;  // the RabbitMQ node reached at pod N's address (its /api/overview)
  std::string pod;
  std::string version;  // rabbitmq_version from the same overview
  Answer quorum_critical, mirror_sync_critical;
  Json nodes;  // /api/nodes as node N answered it (an array), or null with nodes_error
  std::string nodes_error;
  std::vector<std::string> departed;   // nodes a scale-down removed: not expected to run
  std::vector<QueueReplicas> streams;  // streams with a member on `node` (when NeedsOwnStreamRule)
};

enum class GateResult { kPass, kFail, kCannotVerify };

struct GateVerdict {
  GateResult result = GateResult::kCannotVerify;
  std::string check;                                     // the check that decided: node-is-quorum-critical, ...
  std::vector<std::string> queues;                       // readable names from the broker's answer
  std::vector<std::pair<std::string, std::string>> ids;  // the same queues as (vhost, name)
  std::string reason;                                    // one line, naming the node and pod
  std::string brief;  // the same for a commit status: "orders.audit would lose quorum on rabbit@x"
};

GateVerdict JudgeGate(const GateInput& in);

// Quorum queues that can never pass node-is-quorum-critical: fewer than 3 members (critical on
// their member nodes with every node up). Readable names.
std::vector<std::string> NeverPassing(const std::vector<QueueReplicas>& queues);

struct RejoinInput {
  std::string node;
  Json nodes;  // /api/nodes
  std::vector<QueueReplicas> queues;
};

struct RejoinVerdict {
  bool done = false;
  std::string waiting_for;         // the first thing missing, one line
  std::vector<std::string> notes;  // manual-sync mirrors that will stay unsynchronised
};

RejoinVerdict JudgeRejoin(const RejoinInput& in);

// What to tell a person when a mirror-sync gate fails on `queue` (its single GET): a queue whose
// ha-sync-mode is manual never resyncs a new mirror by itself while it holds messages. "" when
// its sync mode is automatic (it will pass once synchronised).
std::string ManualSyncHint(const QueueReplicas& queue);

}  // namespace warren::rollout
