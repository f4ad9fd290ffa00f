// Running a program to completion: argv (no shell), stdout and stderr captured, a deadline and a
// stop token that kill it (and anything it started: it runs in a process group of its own).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "agent/util/cancel.h"
#include "diff/model/status.h"

namespace warren {

struct SubprocessOptions {
  std::chrono::milliseconds timeout{60'000};
  StopToken stop;
  std::string working_dir;        // "" = the caller's
  size_t max_output = 64u << 20;  // per stream; more is an error (a runaway program)
};

struct SubprocessResult {
  int exit_code = -1;  // the exit status, or 128 + the signal that ended it
  std::string out;
  std::string err;
};

// kNotFound when the program is not on PATH; kUnavailable (the deadline) or kCancelled (the stop)
// when it was killed.
Result<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv, const SubprocessOptions& options);

// True when `program` names an executable file, directly or on PATH.
bool ProgramExists(const std::string& program);

}  // namespace warren
