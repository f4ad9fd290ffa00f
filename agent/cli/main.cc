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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : warren::cli::kExitError;
  }
  (void)lint_cmd;
  return warren::cli::RunLint(lint, std::cout, std::cerr);
}
