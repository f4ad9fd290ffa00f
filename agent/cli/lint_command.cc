#include "agent/cli/commands.h"
#include "agent/cli/desired_args.h"
#include "agent/fs/disk_file_tree.h"
#include "agent/source/kustomize_builder.h"
#include "diff/check/lint.h"
#include "diff/model/loader.h"
#include "diff/sops/decryptor.h"

namespace warren::cli {

int RunLint(const LintArgs& args, std::ostream& out, std::ostream& err) {
  LoadOptions options;
  options.decode.record_positions = true;
  options.default_namespace = args.default_namespace;
  source::KustomizeBuilder kustomize({.command = args.kustomize_command});
  options.kustomizer = &kustomize;
  // With a key, lint checks what the cluster would get; without one, SOPS files are checked for
  // structure and their values stay encrypted.
  auto keys = LoadKeys(args.decryption, nullptr);
  if (!keys.ok()) {
    err << "warren lint: " << keys.status().message() << "\n";
    return kExitError;
  }
  sops::SopsDecryptor decryptor({&keys.value(), keys.value().empty()});
  options.decryptor = &decryptor;
  DiskFileTree tree;
  auto objects = LoadManifests(tree, args.paths, options);
  if (!objects.ok()) {
    err << "warren lint: " << objects.status().message() << "\n";
    return kExitError;
  }
  check::Findings findings = check::Lint(objects.value());
  if (args.output == "json")
    out << check::ToJson(findings).dump(2) << "\n";
  else
    out << check::RenderText(findings);
  return check::HasErrors(findings) ? kExitFindings : kExitClean;
}

}  // namespace warren::cli
