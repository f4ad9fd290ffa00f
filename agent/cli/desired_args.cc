#include "agent/cli/desired_args.h"

#include <cstdlib>

#include "agent/cli/kube_connect.h"

namespace warren::cli {

source::DecryptionOptions ToDecryptionOptions(const DecryptionArgs& args) {
  source::DecryptionOptions o;
  o.key_files = args.key_files;
  if (const char* file = std::getenv("SOPS_AGE_KEY_FILE"); file && *file) o.key_files.push_back(file);
  if (const char* keys = std::getenv("SOPS_AGE_KEY"); keys && *keys) o.inline_keys = keys;
  o.secret = args.secret;
  return o;
}

Result<sops::Keyring> LoadKeys(const DecryptionArgs& args, const KubeArgs* kube) {
  source::DecryptionOptions o = ToDecryptionOptions(args);
  std::unique_ptr<kube::KubeClient> client;
  if (!o.secret.empty()) {
    if (!kube) return Status::Invalid("a decryption Secret needs a Kubernetes cluster to read it from");
    WARREN_ASSIGN_OR_RETURN(client, ConnectKube(*kube));
  }
  return source::LoadKeyring(o, client.get());
}

source::DesiredSource ToDesiredSource(const std::vector<std::string>& paths, const SourceArgs& args,
                                      const std::string& default_namespace) {
  source::DesiredSource s;
  s.paths = paths;
  s.default_namespace = default_namespace;
  s.kustomize.command = args.kustomize_command;
  s.decryption = ToDecryptionOptions(args.decryption);
  if (args.enabled())
    s.git = git::SourceOptions{args.repo,    args.ref,         args.path,    args.cache_dir,       args.auth_file,
                               args.ssh_key, args.known_hosts, args.ca_file, args.allowed_signers, args.require_signed};
  return s;
}

Result<source::Desired> LoadDesired(const std::vector<std::string>& paths, const SourceArgs& args,
                                    const std::string& default_namespace, std::ostream& err, const KubeArgs* kube) {
  if (!args.enabled() && paths.empty()) return Status::Invalid("give PATHs or --repo");
  WARREN_ASSIGN_OR_RETURN(auto keys, LoadKeys(args.decryption, kube));
  source::DesiredSource src = ToDesiredSource(paths, args, default_namespace);
  src.keys = &keys;
  auto desired = source::LoadDesired(src);
  if (desired.ok() && !desired.value().commit.empty())
    err << "source: " << args.repo << " " << args.ref << " at commit " << desired.value().commit
        << (desired.value().signed_by.empty() ? "" : ", signed by " + desired.value().signed_by) << "\n";
  return desired;
}

}  // namespace warren::cli
