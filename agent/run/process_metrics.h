// The standard process metrics every Prometheus client exports (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds), read from /proc at each scrape, so operators can
// alert on the agent's memory and file descriptors like on any other exporter's.
#pragma once

#include <string>

#include "agent/run/metrics.h"
#include "diff/model/status.h"

namespace warren::run {

struct ProcessStats {
  double cpu_seconds = 0, resident_bytes = 0, virtual_bytes = 0, start_time_seconds = 0;
  double open_fds = 0, max_fds = 0;
};

// Parses /proc/<pid>/stat (fields after the parenthesised command name, which may itself hold
// spaces and parentheses). `ticks`: clock ticks per second; `page`: the page size in bytes;
// `boot_time`: the btime line of /proc/stat, in Unix seconds.
Result<ProcessStats> ParseProcStat(const std::string& stat, long ticks, long page, double boot_time);

// Reads the calling process's stats from `proc` (/proc in production).
Result<ProcessStats> ReadProcessStats(const std::string& proc = "/proc");

// Sets the process_* series in `metrics` from a fresh read; an unreadable /proc leaves the last ones.
void RecordProcessStats(Metrics& metrics);

}  // namespace warren::run
