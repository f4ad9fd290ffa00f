#include "agent/run/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace warren::run {

Result<ProcessStats> ParseProcStat(const std::string& stat, long ticks, long page, double boot_time) {
  // "pid (comm) state ppid ...": the command name ends at the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return Status::Invalid("/proc stat: no command name");
  std::istringstream rest(stat.substr(close + 1));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  for (std::string word; rest >> word;) f.push_back(word);
  // utime 14, stime 15, starttime 22, vsize 23, rss 24 (1-based, as proc(5) numbers them).
  auto at = [&](size_t field) { return f.size() > field - 3 ? std::strtod(f[field - 3].c_str(), nullptr) : -1.0; };
  if (f.size() < 22 || ticks <= 0) return Status::Invalid("/proc stat: " + std::to_string(f.size() + 2) + " fields");
  ProcessStats s;
  s.cpu_seconds = (at(14) + at(15)) / static_cast<double>(ticks);
  s.start_time_seconds = boot_time + at(22) / static_cast<double>(ticks);
  s.virtual_bytes = at(23);
  s.resident_bytes = at(24) * static_cast<double>(page);
  return s;
}

Result<ProcessStats> ReadProcessStats(const std::string& proc) {
  std::ifstream stat_file(proc + "/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  if (stat.empty()) return Status::Unavailable("read " + proc + "/self/stat");
  double boot_time = 0;
  std::ifstream sys(proc + "/stat");
  for (std::string line; std::getline(sys, line);)
    if (line.rfind("btime ", 0) == 0) boot_time = std::strtod(line.c_str() + 6, nullptr);
  WARREN_ASSIGN_OR_RETURN(auto s, ParseProcStat(stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot_time));
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator(proc + "/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  s.open_fds = fds;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) s.max_fds = static_cast<double>(limit.rlim_cur);
  return s;
}

void RecordProcessStats(Metrics& metrics) {
  auto s = ReadProcessStats();
  if (!s.ok()) return;
  metrics.Set("process_cpu_seconds_total", {}, s.value().cpu_seconds);
  metrics.Set("process_resident_memory_bytes", {}, s.value().resident_bytes);
  metrics.Set("process_virtual_memory_bytes", {}, s.value().virtual_bytes);
  metrics.Set("process_start_time_seconds", {}, s.value().start_time_seconds);
  metrics.Set("process_open_fds", {}, s.value().open_fds);
  metrics.Set("process_max_fds", {}, s.value().max_fds);
}

}  // namespace warren::run
