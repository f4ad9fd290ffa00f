// Shared by the commands: loading the manifests, and credentials + client from the RabbitMQ flags.
#pragma once

#include <memory>

#include "agent/cli/commands.h"
#include "agent/rabbitmq/management_client.h"
#include "diff/model/loader.h"

namespace warren::cli {

Result<std::unique_ptr<rabbitmq::ManagementClient>> ConnectRabbit(const RabbitArgs& args);

// The manifests and definitions files under `paths`, from the local disk.
Result<LoadedManifests> LoadFromDisk(const std::vector<std::string>& paths, const std::string& default_namespace);

}  // namespace warren::cli
