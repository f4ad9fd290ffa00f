// The process_* metrics from /proc (agent/run/process_metrics.h), on a /proc laid out in a
// temporary directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/run/process_metrics.h"

namespace warren::run {
namespace {

namespace fs = std::filesystem;

// Fields 3..24 of proc(5)'s stat: utime 250 and stime 50 ticks, started 1000 ticks after boot,
// 100 MiB virtual, 2560 resident pages.
const char* kStat =
    "4242 (warren (run) x) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 50 0 0 20 0 9 0 1000 104857600 "
    "2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessMetrics, ParsesStatWhateverTheCommandName) {
  auto s = ParseProcStat(kStat, 100, 4096, 1700000000);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_DOUBLE_EQ(s.value().cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(s.value().start_time_seconds, 1700000010.0);
  EXPECT_DOUBLE_EQ(s.value().virtual_bytes, 104857600.0);
  EXPECT_DOUBLE_EQ(s.value().resident_bytes, 2560.0 * 4096);
  EXPECT_FALSE(ParseProcStat("4242 (warren) S 1 2 3", 100, 4096, 0).ok());
  EXPECT_FALSE(ParseProcStat("no parenthesis", 100, 4096, 0).ok());
}

TEST(ProcessMetrics, ReadsStatBootTimeAndDescriptors) {
  fs::path proc = fs::temp_directory_path() / ("warren-proc-" + std::to_string(getpid()));
  fs::remove_all(proc);
  fs::create_directories(proc / "self" / "fd");
  std::ofstream(proc / "self" / "stat") << kStat;
  std::ofstream(proc / "stat") << "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n";
  for (const char* fd : {"0", "1", "2"}) std::ofstream(proc / "self" / "fd" / fd) << "";
  auto s = ReadProcessStats(proc.string());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s.value().open_fds, 3);
  EXPECT_GT(s.value().max_fds, 0);
  EXPECT_GT(s.value().start_time_seconds, 1700000000.0);
  fs::remove_all(proc);
  EXPECT_FALSE(ReadProcessStats(proc.string()).ok());
}

}  // namespace
}  // namespace warren::run
