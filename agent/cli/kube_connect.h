// Shared by the commands that talk to Kubernetes: a client from the common flags.
#pragma once

#include <memory>

#include "agent/cli/commands.h"
#include "agent/kube/client.h"

namespace warren::cli {

Result<std::unique_ptr<kube::KubeClient>> ConnectKube(const KubeArgs& args, const std::string& namespace_override = "");

}  // namespace warren::cli
