// Applying a topology plan to a cluster: PUT/POST/DELETE through the management API, in the
// plan's order (vhosts, policies, exchanges, queues, bindings; prunes in reverse).
//
// Safety rules:
//  - a queue whose immutable properties differ is skipped ("needs action") unless
//    recreate_empty_queues is set, and then deleted with ?if-empty=true, so a queue holding
//    messages is never dropped; its bindings are restored after re-declaring it;
//  - an exchange is re-declared with all of its live bindings restored;
//  - prune (only with `prune`) removes only what the inventory says warren created; a queue only
//    while empty, a vhost only while it holds no queues;
//  - the inventory is written once at the end, whatever failed on the way.
#pragma once

#include "agent/rabbitmq/live_topology.h"
#include "diff/engine/apply_report.h"
#include "diff/engine/report.h"

namespace warren::rabbitmq {

struct TopologyApplyOptions {
  bool dry_run = false;
  bool prune = false;
  bool recreate_empty_queues = false;
};

diff::ApplyReport ApplyTopology(ManagementApi& client, const rabbit::TopologyState& desired, const LiveTopology& live,
                                const diff::DiffReport& plan, const TopologyApplyOptions& options);

}  // namespace warren::rabbitmq
