#include "agent/cli/kube_connect.h"

#include <cstdlib>
#include <iostream>

namespace warren::cli {

Result<std::unique_ptr<kube::KubeClient>> ConnectKube(const KubeArgs& args, const std::string& namespace_override) {
  WARREN_ASSIGN_OR_RETURN(kube::ClusterConfig config,
                          args.in_cluster ? kube::LoadInCluster()
                                          : kube::LoadKubeconfig({args.kubeconfig, args.context, namespace_override}));
  if (config.insecure_skip_verify)
    std::cerr << "warning: insecure-skip-tls-verify is set for " << config.server
              << ": the server's certificate is not checked\n";
  kube::ClientOptions options;
  options.timeout_ms = args.timeout_ms;
  return kube::KubeClient::Create(std::move(config), options);
}

bool ClusterNamed(const KubeArgs& args) {
  const char* env = std::getenv("KUBECONFIG");
  return !args.kubeconfig.empty() || !args.context.empty() || args.in_cluster || (env && *env);
}

std::string DefaultNamespace(const KubeArgs& args, bool namespace_given, const std::string& given) {
  if (namespace_given || args.in_cluster) return given;
  auto config = kube::LoadKubeconfig({args.kubeconfig, args.context, ""});
  return config.ok() ? config.value().namespace_ : given;
}

}  // namespace warren::cli
