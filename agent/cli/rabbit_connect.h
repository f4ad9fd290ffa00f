// Shared by the commands that talk to RabbitMQ: credentials + client from the common flags.
#pragma once

#include <memory>

#include "agent/cli/commands.h"
#include "agent/rabbitmq/management_client.h"

namespace warren::cli {

Result<std::unique_ptr<rabbitmq::ManagementClient>> ConnectRabbit(const RabbitArgs& args);

}  // namespace warren::cli
