#include "agent/cli/desired_args.h"

namespace warren::cli {

source::DesiredSource ToDesiredSource(const std::vector<std::string>& paths, const SourceArgs& args,
                                      const std::string& default_namespace) {
  source::DesiredSource s;
  s.paths = paths;
  s.default_namespace = default_namespace;
  s.kustomize.command = args.kustomize_command;
  if (args.enabled())
    s.git = git::SourceOptions{args.repo,    args.ref,         args.path,    args.cache_dir,       args.auth_file,
                               args.ssh_key, args.known_hosts, args.ca_file, args.allowed_signers, args.require_signed};
  return s;
}

Result<source::Desired> LoadDesired(const std::vector<std::string>& paths, const SourceArgs& args,
                                    const std::string& default_namespace, std::ostream& err) {
  if (!args.enabled() && paths.empty()) return Status::Invalid("give PATHs or --repo");
  auto desired = source::LoadDesired(ToDesiredSource(paths, args, default_namespace));
  if (desired.ok() && !desired.value().commit.empty())
    err << "source: " << args.repo << " " << args.ref << " at commit " << desired.value().commit
        << (desired.value().signed_by.empty() ? "" : ", signed by " + desired.value().signed_by) << "\n";
  return desired;
}

}  // namespace warren::cli
