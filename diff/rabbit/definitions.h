// RabbitMQ definitions: the JSON of `rabbitmqctl export_definitions` and `GET /api/definitions`
// (cluster-wide, every item names its vhost) or `GET /api/definitions/{vhost}` (items carry no
// vhost). Users (with their password hashes), permissions, topic permissions and operator policies
// are read; parameters are not.
#pragma once

#include <string>

#include "diff/rabbit/topology_state.h"

namespace warren::rabbit {

// `where` names the document in errors ("defs/orders.json"); `default_vhost` is the vhost of items
// without one (a per-vhost export). Items of the wrong shape are errors naming the item.
Result<TopologyState> StateFromDefinitions(const Json& doc, const std::string& where,
                                           const std::string& default_vhost = "/");

// Fills vhost metadata that definitions lack in 3.10 (tags, tracing, default queue type) from
// the `GET /api/vhosts` listing.
Status MergeVhostDetails(const Json& api_vhosts, TopologyState* state);

// Sets every vhost's limits from the `GET /api/vhost-limits` listing (none: an empty mapping).
Status MergeVhostLimits(const Json& api_limits, TopologyState* state);

}  // namespace warren::rabbit
