// Gathers what cluster health is judged from: the node list, the lag-free queue listing, the
// policies (through any node, with failover), and each node's health-check endpoints (asked of
// every node, since quorum- and mirror-sync-criticality are about the node asked).
#pragma once

#include "agent/rabbitmq/management_api.h"
#include "diff/rabbit/cluster_health.h"

namespace warren::rabbitmq {

// Fails (kUnavailable, kUnauthenticated, ...) when no node answers or the credentials are refused.
Result<rabbit::HealthInputs> ProbeCluster(ManagementApi& client, int expected_nodes);

}  // namespace warren::rabbitmq
