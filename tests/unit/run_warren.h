// Runs the real `warren` binary (WARREN_BINARY) with arguments; returns its exit code and output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace warren::testing {

struct RunResult {
  int exit_code;
  std::string out;  // stdout and stderr together
};

inline RunResult Warren(const std::string& args) {
  std::string cmd = std::string(WARREN_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace warren::testing
