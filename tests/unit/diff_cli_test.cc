// `warren diff` through the real binary: exit codes and bad input.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "run_warren.h"

namespace {

using warren::testing::RunResult;
using warren::testing::Warren;

const std::string kGolden = std::string(WARREN_SOURCE_DIR) + "/tests/golden/";

std::string TempFile(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / ("warren-diff-" + name);
  std::ofstream(p) << text;
  return p.string();
}

TEST(DiffCli, ExitCodesFollowDrift) {
  RunResult clean = Warren("diff " + kGolden + "statefulset-in-sync.desired.yaml --live-file " + kGolden +
                           "statefulset-in-sync.live.yaml");
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  RunResult drift = Warren("diff " + kGolden + "statefulset-changed.desired.yaml --live-file " + kGolden +
                           "statefulset-changed.live.yaml");
  EXPECT_EQ(drift.exit_code, 1) << drift.out;
  EXPECT_NE(drift.out.find("~ StatefulSet dev/rabbitmq  (update)"), std::string::npos) << drift.out;
  EXPECT_NE(drift.out.find(".spec.replicas: 3 → 5"), std::string::npos) << drift.out;
}

// The reference manifests against a live capture of themselves (server defaults, status, an
// allocated clusterIP): no drift.
TEST(DiffCli, ReferenceManifestsAreCleanAgainstTheirLiveCapture) {
  RunResult r = Warren("diff " + std::string(WARREN_SOURCE_DIR) + "/manifests --live-file " +
                       std::string(WARREN_SOURCE_DIR) + "/tests/fixtures/live/manifests-dev.live.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("13 unchanged"), std::string::npos) << r.out;
}

TEST(DiffCli, BadInputExitsTwoWithAClearMessage) {
  std::string desired = kGolden + "statefulset-in-sync.desired.yaml";
  struct Case {
    std::string live;
    std::string want;
  } cases[] = {
      {TempFile("array.json", "[1, 2]"), "document is a sequence, not a Kubernetes object"},
      {TempFile("scalar.yaml", "hello\n"), "document is a string"},
      {TempFile("nokind.yaml", "apiVersion: v1\nmetadata: {name: x}\n"), "nokind.yaml:1:1: object has no kind"},
      {TempFile("noname.json",
                R"({"apiVersion":"v1","kind":"List","items":[{"kind":"Secret","apiVersion":"v1","metadata":{}}]})"),
       "Secret has no metadata.name"},
      {TempFile("broken.yaml", "a: [\n"), "broken.yaml:"},
      {"/nonexistent/live.json", "/nonexistent/live.json"},
  };
  for (const auto& c : cases) {
    RunResult r = Warren("diff " + desired + " --live-file " + c.live);
    EXPECT_EQ(r.exit_code, 2) << c.live << "\n" << r.out;
    EXPECT_NE(r.out.find(c.want), std::string::npos) << r.out;
  }
  RunResult r =
      Warren("diff " + desired + " --live-file " + kGolden + "statefulset-in-sync.live.yaml --ignore-config " +
             TempFile("ignore.yaml", "ignoreDifferences:\n- jsonPointers: [spec/replicas]\n"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("is not a JSON Pointer"), std::string::npos) << r.out;
}

}  // namespace

namespace warren::testing {
namespace {

// Timeouts are Go durations, as kubectl's --request-timeout; a malformed one is exit 2 naming the form.
TEST(CliDurations, GoDurationsAcceptedMalformedOnesRefused) {
  RunResult bad = Warren("sync manifests --rabbitmq-url http://127.0.0.1:9 --timeout soon");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("--timeout: invalid duration \"soon\""), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("Go duration like 500ms, 90s, 5m or 1h30m"), std::string::npos) << bad.out;
  RunResult bad_request = Warren("diff manifests --request-timeout 5x");
  EXPECT_EQ(bad_request.exit_code, 2);
  EXPECT_NE(bad_request.out.find("unknown unit \"x\""), std::string::npos) << bad_request.out;
  // Accepted: the run then fails on the closed port, within the 1 s request timeout.
  RunResult ok =
      Warren("status --rabbitmq-url http://127.0.0.1:9 --rabbitmq-timeout 1s --rabbitmq-credentials-file /dev/null");
  EXPECT_EQ(ok.exit_code, 2);
  EXPECT_EQ(ok.out.find("invalid duration"), std::string::npos) << ok.out;
  EXPECT_EQ(
      Warren("status --rabbitmq-url http://127.0.0.1:9 --rabbitmq-timeout-ms 500 --rabbitmq-credentials-file /dev/null")
          .out.find("--rabbitmq-timeout-ms"),
      std::string::npos);  // the old spelling still parses
}

// An unknown command is an error (exit 2, named as kubectl names it), even with --help after it;
// the top-level help is still exit 0.
TEST(Cli, UnknownCommandExitsTwoEvenWithHelp) {
  for (const std::string args : {"frobnicate --help", "frobnicate", "frobnicate manifests"}) {
    RunResult r = Warren(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.out.find("error: unknown command \"frobnicate\" for \"warren\""), std::string::npos) << r.out;
  }
  RunResult help = Warren("--help");
  EXPECT_EQ(help.exit_code, 0) << help.out;
  EXPECT_NE(help.out.find("Subcommands:"), std::string::npos) << help.out;
  EXPECT_EQ(Warren("diff --help").exit_code, 0);
}

}  // namespace
}  // namespace warren::testing
