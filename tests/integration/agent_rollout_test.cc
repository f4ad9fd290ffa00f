// warren run rolling a RabbitMQ StatefulSet of the whole stack (emulator whose pods are the real
// cluster's nodes, git server, forge stand-in): a commit's new template is applied held, waits
// while a node is down out of band (warren/rollout pending, naming why), drift of other objects
// is put back meanwhile, and once the node is back the pods roll 2, 1, 0 to warren/rollout success.
#include <gtest/gtest.h>

#include "tests/integration/agent_e2e_fixture.h"

namespace warren::testing {
namespace {

class AgentRollout : public AgentEndToEnd {
 protected:
  static void SetUpTestSuite() {
    AgentEndToEnd::SetUpTestSuite();
    hooks_ = (fs::temp_directory_path() / ("warren-agent-pod-hook-" + std::to_string(getpid()))).string();
    fs::create_directories(hooks_);
    setenv("WARREN_POD_HOOK_DIR", hooks_.c_str(), 1);  // the emulator and its hook inherit it
  }
  static void TearDownTestSuite() {
    AgentEndToEnd::TearDownTestSuite();
    fs::remove_all(hooks_);
  }
  std::vector<std::string> EmulatorFlags() const override {
    return {"--pod-hook", std::string(WARREN_SOURCE_DIR) + "/tests/scripts/rabbitmq-pod-hook.sh"};
  }
  std::string HookLog() const { return ReadText(hooks_ + "/log"); }
  std::string ConfigMapData() const {
    Json cm = Json::parse(emu_->Kubectl("get configmap rabbitmq-config -n dev -o json").out, nullptr, false);
    return cm.is_object() ? cm["data"].dump() : "";
  }
  static inline std::string hooks_;
};

TEST_F(AgentRollout, RollsPodByPodAsTheBrokerAllowsWhileDriftIsPutBack) {
  ForgeStub forge(kForgeToken);
  std::ofstream(dir_ + "/forge-token") << kForgeToken << "\n";
  std::string urls = ClusterUrls();
  std::vector<std::string> url;
  for (size_t at = 0; at <= urls.size();) {
    size_t end = urls.find(',', at);
    if (end == std::string::npos) end = urls.size();
    url.push_back(urls.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(url.size(), 3u);
  const std::vector<std::string> flags = {
      "--status-provider",   "github",      "--status-api-url",    forge.url("github"),
      "--status-repo",       "org/app",     "--status-token-file", dir_ + "/forge-token",
      "--rabbitmq-node-url", "0=" + url[0], "--rabbitmq-node-url", "1=" + url[1],
      "--rabbitmq-node-url", "2=" + url[2]};
  auto agent = Run(flags);
  ASSERT_TRUE(Eventually([&] { return agent->Get("/readyz").first == 200; }, 120)) << agent->Log();
  fs::remove(hooks_ + "/log");
  const std::string data = ConfigMapData();

  ASSERT_EQ(Ctl(1, "stop_app").exit_code, 0);  // pod 0's node, out of band
  struct Restart {
    ~Restart() { Ctl(1, "start_app"); }
  } restart;
  std::string sts = Read(Work() + "/deploy/kubernetes/statefulset.yaml");
  sts.replace(sts.find("        env:\n"), 13, "        env:\n        - name: ROLLOUT_TEST\n          value: \"2\"\n");
  std::ofstream(Work() + "/deploy/kubernetes/statefulset.yaml") << sts;
  std::string second = Commit("a template change");

  // Held: the gate for pod 2 names the queue that would lose its quorum; nothing restarts.
  ASSERT_TRUE(Eventually(
      [&] {
        for (const auto& st : forge.Statuses())
          if (st.sha == second && st.context == "warren/rollout" && st.state == "pending" &&
              st.description == "pod 1 of 3: waiting, orders.audit would lose quorum on rabbit3@localhost")
            return true;
        return false;
      },
      60))
      << agent->Log();
  EXPECT_EQ(HookLog(), "");
  // Drift of another object is put back all the same.
  ASSERT_EQ(
      emu_->Kubectl("patch configmap rabbitmq-config -n dev --type merge -p '{\"data\":{\"enabled_plugins\":\"[].\"}}'")
          .exit_code,
      0);
  EXPECT_TRUE(Eventually([&] { return ConfigMapData() == data; }, 20)) << agent->Log();

  ASSERT_EQ(Ctl(1, "start_app").exit_code, 0);
  // Killed once pod 2 is back: the next agent goes on from the StatefulSet's own record.
  ASSERT_TRUE(Eventually([&] { return Has(HookLog(), "start dev rabbitmq-2"); }, 90)) << agent->Log();
  agent->Kill(SIGKILL);
  agent = Run(flags);
  EXPECT_TRUE(Eventually(
      [&] {
        auto states = forge.States(second, "warren/rollout");
        return !states.empty() && states.back() == "success";
      },
      180))
      << agent->Log();
  EXPECT_EQ(HookLog(),
            "stop dev rabbitmq-2\nstart dev rabbitmq-2\nstop dev rabbitmq-1\nstart dev rabbitmq-1\n"
            "stop dev rabbitmq-0\nstart dev rabbitmq-0");
  EXPECT_EQ(agent->Metric(R"(warren_rollout_pods_updated{source="warren",statefulset="dev/rabbitmq"})"), 3);
  EXPECT_EQ(agent->Metric(R"(warren_rollout_halted{source="warren",statefulset="dev/rabbitmq"})"), 0);
  RunResult events = emu_->Kubectl("get events -n dev -o json");
  int steps = 0, complete = 0;
  for (const Json& e : Json::parse(events.out, nullptr, false).value("items", Json::array())) {
    steps += e.value("reason", "") == "RolloutStep";
    complete += e.value("reason", "") == "RolloutComplete";
  }
  EXPECT_EQ(steps, 3) << events.out;
  EXPECT_EQ(complete, 1) << events.out;
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

}  // namespace
}  // namespace warren::testing
