// The agent's memory over time, as a process on the emulator: an idle agent polling a local git
// repository every second, and an agent putting back 500 hand-made changes one after another.
// Anonymous memory (RssAnon: the heap, not the mapped binary) may grow by less than 1 MB over
// each, after a warm-up that fills the allocator's pools and the caches. A leak of the size the
// git source had (about 100 kB a poll) shows as 6 MB here.
//
// Built in the optimised build only: a sanitizer's quarantine holds freed memory by design.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "agent/kube/client.h"
#include "agent/kube/kubeconfig.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/emulator_process.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

constexpr long kAllowedGrowthKb = 1024;

long RssAnonKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  return -1;
}

// Polls `done` every 20 ms until it holds or `seconds` pass.
template <typename F>
bool Within(double seconds, F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

class Soak : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = &EmulatorProcess::Shared("soak");
    ASSERT_TRUE(emu_->ok());
    dir_ = emu_->dir();
    // A local repository with one ConfigMap, served as file://.
    std::string work = dir_ + "/work";
    fs::create_directories(work + "/deploy");
    std::ofstream(work + "/deploy/app.yaml")
        << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: default}\ndata: {setting: from-git}\n";
    std::string git = "git -c user.name=t -c user.email=t@example.com ";
    RunResult made = Shell("cd " + work + " && git init -q -b main && " + git + "add -A && " + git +
                           "commit -q -m app && git clone -q --bare . " + dir_ + "/app.git");
    ASSERT_EQ(made.exit_code, 0) << made.out;
  }
  std::unique_ptr<AgentProcess> Start() {
    return std::make_unique<AgentProcess>(
        dir_ + "/agent.log",
        std::vector<std::string>{"--repo", "file://" + dir_ + "/app.git", "--path", "deploy", "--cache-dir",
                                 dir_ + "/cache", "--interval", "1s", "--force-conflicts"},
        std::vector<std::string>{"KUBECONFIG=" + emu_->kubeconfig()});
  }
  double Polls(const AgentProcess& agent) const {
    return agent.Metric(R"(warren_git_polls_total{result="unchanged",source="warren"})");
  }

  EmulatorProcess* emu_ = nullptr;
  std::string dir_;
};

TEST_F(Soak, AnIdleAgentPollingEverySecondKeepsItsMemory) {
  auto agent = Start();
  ASSERT_TRUE(Within(60, [&] { return agent->Get("/readyz").first == 200; })) << agent->Log();
  ASSERT_TRUE(Within(30, [&] { return Polls(*agent) >= 10; })) << agent->Log();  // the warm-up
  long before = RssAnonKb(agent->pid());
  double polls_before = Polls(*agent);
  ASSERT_TRUE(Within(120, [&] { return Polls(*agent) >= polls_before + 60; })) << agent->Log();
  long after = RssAnonKb(agent->pid());
  std::cout << "RssAnon over 60 polls: " << before << " kB -> " << after << " kB\n";
  EXPECT_LT(after - before, kAllowedGrowthKb) << "the agent grew by " << after - before << " kB over 60 polls";
  EXPECT_TRUE(agent->Running()) << agent->Log();
}

TEST_F(Soak, FiveHundredCorrectionsKeepTheAgentsMemory) {
  auto agent = Start();
  ASSERT_TRUE(Within(60, [&] { return agent->Get("/readyz").first == 200; })) << agent->Log();
  auto config = kube::LoadKubeconfig({emu_->kubeconfig(), "", ""});
  ASSERT_TRUE(config.ok()) << config.status().message();
  auto client = kube::KubeClient::Create(config.value());
  ASSERT_TRUE(client.ok()) << client.status().message();
  kube::KubeClient& kube = *client.value();
  auto configmaps = kube.Resolve("v1", "ConfigMap");
  ASSERT_TRUE(configmaps.ok());
  // One change by hand (an update, as kubectl edit makes), then wait until it is put back.
  auto drift_and_wait = [&](int i) {
    auto live = kube.Get(configmaps.value(), "default", "app");
    if (!live.ok() || !live.value()) return false;
    Json changed = *live.value();
    changed["data"]["setting"] = "by-hand-" + std::to_string(i);
    if (!kube.Update(configmaps.value(), "default", changed).ok()) return false;
    return Within(10, [&] {
      auto now = kube.Get(configmaps.value(), "default", "app");
      return now.ok() && now.value() && (*now.value())["data"].value("setting", "") == "from-git";
    });
  };
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(drift_and_wait(i)) << "warm-up correction " << i << "\n" << agent->Log();
  long before = RssAnonKb(agent->pid());
  for (int i = 20; i < 520; ++i) ASSERT_TRUE(drift_and_wait(i)) << "correction " << i << "\n" << agent->Log();
  long after = RssAnonKb(agent->pid());
  std::cout << "RssAnon over 500 corrections: " << before << " kB -> " << after << " kB\n";
  // The test's own client writes as "warren" too (its User-Agent): no other field manager to name.
  EXPECT_GE(agent->Metric(R"(warren_drift_corrections_total{kind="ConfigMap",manager="unknown",source="warren"})"),
            500);
  EXPECT_LT(after - before, kAllowedGrowthKb) << "the agent grew by " << after - before << " kB over 500 corrections";
}

}  // namespace
}  // namespace warren::testing
