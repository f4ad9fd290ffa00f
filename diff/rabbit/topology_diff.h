// Diff of a desired and a live RabbitMQ topology, in the same vocabulary as the Kubernetes diff.
//
// Pairs items by identity (vhost + name; a binding by all of its fields). Policies and vhosts
// update in place. Exchanges and queues whose immutable properties (type, durable, auto_delete,
// arguments) differ are `recreate`, with the reason; for a queue that means its messages are at
// stake, and sync does it only on request. Live items that are not desired are `prune` when the
// inventory says warren created them, otherwise `extra` (reported, never touched) — and only in
// the vhosts warren manages. Built-in objects (amq.*, aliveness-test, ...) are never reported.
#pragma once

#include "diff/engine/report.h"
#include "diff/rabbit/topology_state.h"

namespace warren::rabbit {

inline constexpr const char* kApiVersion = "rabbitmq.com/v1beta1";

// Both states must be Normalize()d.
diff::DiffReport DiffTopology(const TopologyState& desired, const TopologyState& live, const Inventory& inventory);

}  // namespace warren::rabbit
