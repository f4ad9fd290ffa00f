// The CLI's commands. Each takes parsed arguments, writes to the given streams and returns the
// process exit code: 0 clean, 1 findings/drift, 2 unusable input or error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace warren::cli {

enum ExitCode { kExitClean = 0, kExitFindings = 1, kExitError = 2 };

struct LintArgs {
  std::vector<std::string> paths;
  std::string output = "text";  // text | json
  std::string default_namespace = "default";
};
int RunLint(const LintArgs& args, std::ostream& out, std::ostream& err);

struct DiffArgs {
  std::vector<std::string> paths;
  std::string live_file;
  std::string output = "text";  // text | json
  std::string ignore_config;
  std::string default_namespace = "default";
  bool color = false;
};
int RunDiff(const DiffArgs& args, std::ostream& out, std::ostream& err);

}  // namespace warren::cli
