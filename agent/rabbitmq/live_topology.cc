#include "agent/rabbitmq/live_topology.h"
#include "agent/rabbitmq/management_client.h"

#include "diff/model/object.h"
#include "diff/rabbit/definitions.h"

namespace warren::rabbitmq {

Result<LiveTopology> ReadLiveTopology(ManagementApi& client, const std::string& inventory_name) {
  auto defs = client.Get("/api/definitions");
  if (!defs.ok()) return defs.status().WithContext("read RabbitMQ definitions");
  WARREN_ASSIGN_OR_RETURN(auto state, rabbit::StateFromDefinitions(defs.value(), "GET /api/definitions"));
  auto vhosts = client.Get("/api/vhosts");
  if (!vhosts.ok()) return vhosts.status().WithContext("read RabbitMQ vhosts");
  // Neither operator policies nor vhost limits are in 3.10's definitions.
  auto operator_policies = client.Get("/api/operator-policies");
  if (!operator_policies.ok()) return operator_policies.status().WithContext("read RabbitMQ operator policies");
  auto limits = client.Get("/api/vhost-limits");
  if (!limits.ok()) return limits.status().WithContext("read RabbitMQ vhost limits");
  WARREN_ASSIGN_OR_RETURN(auto more, rabbit::StateFromDefinitions({{"operator_policies", operator_policies.value()}},
                                                                  "GET /api/operator-policies"));
  state.operator_policies = std::move(more).operator_policies;
  LiveTopology live{std::move(state), {}, inventory_name};
  live.broker_version = StringField(defs.value(), "rabbitmq_version");
  if (live.broker_version.empty()) live.broker_version = StringField(defs.value(), "rabbit_version");
  WARREN_RETURN_IF_ERROR(rabbit::MergeVhostDetails(vhosts.value(), &live.state));
  WARREN_RETURN_IF_ERROR(rabbit::MergeVhostLimits(limits.value(), &live.state));
  rabbit::Normalize(&live.state);

  // The inventory travels in the definitions: no extra request.
  const Json& parameters = Field(defs.value(), "global_parameters");
  for (const Json& p : parameters.is_array() ? parameters : Json::array()) {
    if (StringField(p, "name") != inventory_name) continue;
    WARREN_ASSIGN_OR_RETURN(auto inventory, rabbit::InventoryFromJson(Field(p, "value")));
    live.inventory = std::move(inventory);
  }
  return live;
}

Status WriteInventory(ManagementApi& client, const std::string& inventory_name, const rabbit::Inventory& inventory) {
  Json body = {{"name", inventory_name}, {"value", rabbit::InventoryToJson(inventory)}};
  return client.Put("/api/global-parameters/" + net::EscapePathSegment(inventory_name), body)
      .WithContext("record warren's inventory");
}

}  // namespace warren::rabbitmq
