// Shared by the commands that talk to Kubernetes: a client from the common flags.
#pragma once

#include <memory>

#include "agent/cli/commands.h"
#include "agent/kube/client.h"

namespace warren::cli {

Result<std::unique_ptr<kube::KubeClient>> ConnectKube(const KubeArgs& args, const std::string& namespace_override = "");

// A cluster is named: --kubeconfig, --context, --in-cluster, or KUBECONFIG set. (~/.kube/config
// alone does not count, so a command that writes never picks it up by accident.)
bool ClusterNamed(const KubeArgs& args);

// The namespace of objects that name none: `given` when -n was given (or in-cluster), else the
// kubeconfig context's, as kubectl does.
std::string DefaultNamespace(const KubeArgs& args, bool namespace_given, const std::string& given);

}  // namespace warren::cli
