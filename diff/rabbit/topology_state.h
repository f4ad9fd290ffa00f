// A RabbitMQ topology as one value: the vhosts (and their limits), exchanges, queues, bindings,
// policies, operator policies, users, permissions and topic permissions of a cluster, whether desired (from
// rabbitmq.com/v1beta1 documents and definitions files) or live (from the management API). Every item has a ResourceKey
// (group rabbitmq.com, kind, ns = vhost, name) so the diff vocabulary and the inventory are the same as for Kubernetes
// objects.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "diff/model/rabbit_topology.h"

namespace warren::rabbit {

struct TopologyState {
  std::vector<Vhost> vhosts;
  std::vector<Exchange> exchanges;
  std::vector<Queue> queues;
  std::vector<Binding> bindings;
  std::vector<Policy> policies;
  std::vector<OperatorPolicy> operator_policies;
  std::vector<User> users;
  std::vector<Permission> permissions;
  std::vector<TopicPermission> topic_permissions;
  std::vector<Parameter> parameters;  // federation upstreams and shovels
  // Desired state only: where each item was written ("file:line:col"), for error messages.
  std::map<ResourceKey, std::string> origins;
  // Desired state only: items with deletionPolicy: retain.
  std::set<ResourceKey> retained;
  // Desired state only: the SuperStreams whose items are above (for what they need of the broker).
  std::vector<SuperStream> super_streams;
};

// The keys of the objects warren created in a cluster: only these are ever pruned. `retained`
// (deletionPolicy: retain when last applied) are forgotten, not deleted, when they leave git.
struct Inventory {
  std::set<ResourceKey> keys;
  std::set<ResourceKey> retained;
  bool operator==(const Inventory&) const = default;
};

ResourceKey KeyOf(const Vhost& v);
ResourceKey KeyOf(const Exchange& e);
ResourceKey KeyOf(const Queue& q);
ResourceKey KeyOf(const Binding& b);
ResourceKey KeyOf(const Policy& p);
ResourceKey KeyOf(const OperatorPolicy& p);
ResourceKey KeyOf(const User& u);
ResourceKey KeyOf(const Permission& p);       // name: the user
ResourceKey KeyOf(const TopicPermission& p);  // name: "user [exchange]"
ResourceKey KeyOf(const Parameter& p);        // kind: Federation or Shovel

// A binding has no name in RabbitMQ; its identity is all of its fields:
// "orders -> queue:ha.orders [order.#]" plus the arguments as JSON when there are any.
std::string BindingName(const Binding& b);

// Objects RabbitMQ makes itself, which are neither desired nor drift: the default exchange,
// amq.* exchanges, the aliveness-test queue, server-named amq.gen-* queues, default-exchange
// bindings.
bool IsBuiltIn(const Exchange& e);
bool IsBuiltIn(const Queue& q);
bool IsBuiltIn(const Binding& b);

// Brings desired and live spellings to one form before comparing: the queue type lives in
// `type` (x-queue-type removed from arguments, "" → classic); vhost and user tags sorted; policy
// and operator policy definition values that RabbitMQ reads as integers turned from "2" into 2.
void Normalize(TopologyState* state);
Json NormalizePolicyDefinition(Json definition);

// The inventory as stored in the broker (a global parameter) and back.
Json InventoryToJson(const Inventory& inventory);
Result<Inventory> InventoryFromJson(const Json& value);

}  // namespace warren::rabbit
