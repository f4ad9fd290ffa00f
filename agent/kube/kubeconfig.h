// Where the Kubernetes API is and who warren is there, read as kubectl reads it: KUBECONFIG (several
// files, the first to set a name wins), ~/.kube/config or --kubeconfig; --context and --namespace
// overrides; or the in-cluster service account. Relative paths are relative to their file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "diff/model/object.h"
#include "diff/model/status.h"

namespace warren::kube {

struct ExecPlugin {
  std::string api_version;  // client.authentication.k8s.io/v1 (or v1beta1)
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
};

struct ClusterConfig {
  std::string server;           // https://host:port
  std::string ca_file, ca_pem;  // certificate-authority / -data (decoded)
  std::string tls_server_name;
  bool insecure_skip_verify = false;
  // Credentials (at most one source is used, in this order).
  std::string token;
  std::string token_file;  // re-read periodically and after a 401 (bound tokens rotate)
  std::string client_cert_pem, client_key_pem;
  std::optional<ExecPlugin> exec;
  std::string namespace_;  // the context's namespace, or "default"
  std::string context;     // which context was used ("" in-cluster)
};

struct KubeconfigOptions {
  std::string kubeconfig;  // --kubeconfig: one file, overrides KUBECONFIG
  std::string context;     // --context
  std::string namespace_;  // --namespace
};

// Reads the kubeconfig files as described above. Errors name the file and the missing piece.
Result<ClusterConfig> LoadKubeconfig(const KubeconfigOptions& options);

// The in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT and the service account's token, CA
// and namespace files under `sa_dir` (normally /var/run/secrets/kubernetes.io/serviceaccount).
Result<ClusterConfig> LoadInCluster(const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

}  // namespace warren::kube
