// RabbitMQ definitions: the JSON of `rabbitmqctl export_definitions` and `GET /api/definitions`
// (cluster-wide, every item names its vhost) or `GET /api/definitions/{vhost}` (items carry no
// vhost). Users, permissions and parameters are not topology and are not read.
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

}  // namespace warren::rabbit
