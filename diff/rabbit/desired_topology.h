// The desired RabbitMQ topology of a repository: every rabbitmq.com/v1beta1 topology object among
// the loaded objects (a User's credentials from the Secret of the set it names), plus every
// definitions file. One item defined twice
// (in two documents, or in a document and a definitions file) is an error naming both places.
#pragma once

#include <string>
#include <vector>

#include "diff/model/loader.h"
#include "diff/rabbit/topology_state.h"

namespace warren::rabbit {

Result<TopologyState> DesiredTopology(const std::vector<Object>& objects,
                                      const std::vector<DefinitionsDocument>& definitions);

// What the desired set holds that warren does not carry into RabbitMQ, one line each, with its
// place: spec fields of topology objects it does not read, and rabbitmq.com kinds it does not
// manage (SchemaReplication, ...). Said by lint, diff and sync: never dropped silently.
std::vector<std::string> NotCarried(const std::vector<Object>& objects);

// Users without importCredentialsSecret: the Secret their credentials live in, and the username.
struct GeneratedCredentials {
  ResourceKey secret;
  std::string username;
};
std::vector<GeneratedCredentials> CredentialsToGenerate(const std::vector<Object>& objects);

// The vhosts warren manages: those desired, and those any desired item lives in.
std::set<std::string> ManagedVhosts(const TopologyState& desired);

}  // namespace warren::rabbit
