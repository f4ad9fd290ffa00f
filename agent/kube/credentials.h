// The bearer token (or client certificate) to present, from whichever source the configuration
// names: a fixed token, a token file re-read every minute and after a 401 (projected service
// account tokens rotate), or an exec credential plugin (client.authentication.k8s.io/v1
// ExecCredential, as EKS and GKE use), cached until its expirationTimestamp.
//
// Threads: Get() and Invalidate() may be called from any thread (every request of a KubeClient
// asks for the credential); the cache is guarded by mu_, and a plugin runs under it, so two
// requests never run it at once. Credential values are copies: nothing refers into the cache.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "agent/kube/kubeconfig.h"

namespace warren::kube {

struct Credential {
  std::string token;
  std::string client_cert_pem, client_key_pem;  // from an exec plugin, when it returns them
};

class CredentialSource {
 public:
  explicit CredentialSource(const ClusterConfig& config) : config_(config) {}

  // Fails when the token file cannot be read or the plugin fails (naming the command).
  Result<Credential> Get();
  // After a 401: the next Get() re-reads the file or re-runs the plugin.
  void Invalidate();

 private:
  Result<Credential> RunExec();

  ClusterConfig config_;
  std::mutex mu_;
  Credential cached_;
  bool have_cached_ = false;
  std::chrono::steady_clock::time_point expires_;
};

}  // namespace warren::kube
