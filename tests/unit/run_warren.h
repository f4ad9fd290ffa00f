// Runs the real `warren` binary (WARREN_BINARY) with arguments; returns its exit code and output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace warren::testing {

struct RunResult {
  int exit_code;
  std::string out;  // stdout and stderr together
};

// Runs a shell command; stdout and stderr together.
inline RunResult Shell(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A whole file, without its trailing newlines ("" when it cannot be read).
inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string out = s.str();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Replaces the first `from` in a file with `to`; false when the file does not hold `from`.
inline bool ReplaceInFile(const std::string& path, const std::string& from, const std::string& to) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  size_t at = text.find(from);
  if (at == std::string::npos) return false;
  text.replace(at, from.size(), to);
  std::ofstream(path) << text;
  return true;
}

inline RunResult Warren(const std::string& args) { return Shell(std::string(WARREN_BINARY) + " " + args); }

}  // namespace warren::testing
