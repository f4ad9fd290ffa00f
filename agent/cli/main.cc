// warren: keeps a RabbitMQ deployment on Kubernetes equal to a git repository.
// This file is wiring only: flags -> argument structs -> commands.
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "agent/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"warren: GitOps for RabbitMQ on Kubernetes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "warren 0.1.0");

  warren::cli::LintArgs lint;
  auto* lint_cmd = app.add_subcommand("lint", "Check manifests for the classic RabbitMQ-on-Kubernetes mistakes");
  lint_cmd->add_option("paths", lint.paths, "Files or directories of manifests")->required();
  lint_cmd->add_option("-o,--output", lint.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  lint_cmd->add_option("-n,--namespace", lint.default_namespace, "Namespace for objects that name none");

  warren::cli::DiffArgs diff;
  auto* diff_cmd = app.add_subcommand("diff", "Show how the live state differs from the manifests");
  diff_cmd->add_option("paths", diff.paths, "Files or directories of manifests")->required();
  diff_cmd->add_option("--live-file", diff.live_file, "Live state as `kubectl get -o json|yaml` prints it")->required();
  diff_cmd->add_option("-o,--output", diff.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  diff_cmd->add_option("--ignore-config", diff.ignore_config, "YAML file of ignoreDifferences rules");
  diff_cmd->add_option("-n,--namespace", diff.default_namespace, "Namespace for objects that name none");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : warren::cli::kExitError;
  }
  if (*lint_cmd) return warren::cli::RunLint(lint, std::cout, std::cerr);
  diff.color = isatty(STDOUT_FILENO) && diff.output == "text";
  return warren::cli::RunDiff(diff, std::cout, std::cerr);
}
