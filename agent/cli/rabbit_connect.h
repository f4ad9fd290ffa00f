// Shared by the commands that talk to RabbitMQ: credentials + client from the common flags.
#pragma once

#include <memory>

#include "agent/cli/commands.h"
#include "agent/rabbitmq/management_client.h"
#include "agent/rollout/driver.h"

namespace warren::cli {

Result<std::unique_ptr<rabbitmq::ManagementClient>> ConnectRabbit(const RabbitArgs& args);

// How a rollout reaches each node: like the cluster (credentials, CA, timeout), one node at a time.
Status RolloutNodes(const RabbitArgs& args, rollout::DriverOptions& o);

}  // namespace warren::cli
