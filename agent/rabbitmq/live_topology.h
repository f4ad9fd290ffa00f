// Reading a cluster's live topology and warren's inventory of what it created there.
//
// Two requests: GET /api/definitions (every vhost, exchange, queue, binding and policy at once,
// no stats lag) and GET /api/vhosts (vhost tags and tracing, which 3.10's definitions lack). The
// inventory is a global parameter (default `warren-inventory`) stored in the broker itself; give
// each source that shares a cluster its own name.
#pragma once

#include "agent/rabbitmq/management_api.h"
#include "diff/rabbit/topology_state.h"

namespace warren::rabbitmq {

inline constexpr const char* kDefaultInventory = "warren-inventory";

struct LiveTopology {
  rabbit::TopologyState state;  // normalised
  rabbit::Inventory inventory;
  std::string inventory_name;
  std::string broker_version;  // "3.10.8", from the definitions; "" when they do not say
};

Result<LiveTopology> ReadLiveTopology(ManagementApi& client, const std::string& inventory_name = kDefaultInventory);

Status WriteInventory(ManagementApi& client, const std::string& inventory_name, const rabbit::Inventory& inventory);

}  // namespace warren::rabbitmq
