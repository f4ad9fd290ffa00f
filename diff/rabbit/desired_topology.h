// The desired RabbitMQ topology of a repository: every rabbitmq.com/v1beta1 Vhost, Exchange, Queue,
// Binding and Policy among the loaded objects, plus every definitions file. One item defined twice
// (in two documents, or in a document and a definitions file) is an error naming both places.
#pragma once

#include <string>
#include <vector>

#include "diff/model/loader.h"
#include "diff/rabbit/topology_state.h"

namespace warren::rabbit {

Result<TopologyState> DesiredTopology(const std::vector<Object>& objects,
                                      const std::vector<DefinitionsDocument>& definitions);

// The vhosts warren manages: those desired, and those any desired item lives in.
std::set<std::string> ManagedVhosts(const TopologyState& desired);

}  // namespace warren::rabbit
