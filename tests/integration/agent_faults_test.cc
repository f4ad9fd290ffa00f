// warren run on the whole stack while something else is slow: Kubernetes drift is put back while
// a new commit waits for a stopped broker node, and while a RabbitMQ node hangs (connections
// taken, nothing answered: what a SIGSTOPped node looks like from outside, here a proxy in front
// of node 1); the hung node is reported unreachable within two health intervals, and /metrics
// says so instead of the last verdict.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "tests/integration/agent_e2e_fixture.h"
#include "tests/integration/fault_proxy.h"

namespace warren::testing {
namespace {

class AgentUnderFaults : public AgentEndToEnd {
 protected:
  int Replicas() const {
    RunResult r = emu_->Kubectl("get statefulset rabbitmq -n dev -o json");
    Json s = Json::parse(r.out, nullptr, false);
    return s.is_object() ? s["spec"].value("replicas", -1) : -1;
  }
  // Scales down by hand; returns the seconds until the agent put it back (-1: not within 30 s).
  // (Down: a hand scale-up is put back only as each leaving node's broker allows.)
  double ScaleAndTimeTheCorrection() {
    if (emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=1").exit_code != 0) return -1;
    auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
      if (Replicas() == 3) return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
};

// How many lines of the log say `msg` at `level` (the text format: "<time> <level> <msg> k=v ...").
int Said(const std::string& log, const std::string& level, const std::string& msg) {
  int n = 0;
  std::stringstream lines(log);
  for (std::string line; std::getline(lines, line);) n += line.find(" " + level + " " + msg + " ") != std::string::npos;
  return n;
}

TEST_F(AgentUnderFaults, DriftIsPutBackWhileANewCommitWaitsForAStoppedBrokerNode) {
  auto agent = Run({"--log-level", "debug"});
  ASSERT_TRUE(Eventually([&] { return agent->Get("/readyz").first == 200; }, 120)) << agent->Log();
  // Many mirrored queues (the reference policy ha-all takes ha.*), so that one node down is many
  // unhealthy queues: `warren status` names the cause once.
  ASSERT_TRUE(
      Admin().Put("/api/permissions/orders/guest", {{"configure", ".*"}, {"write", ".*"}, {"read", ".*"}}).ok());
  for (int i = 0; i < 60; ++i)
    ASSERT_TRUE(Admin().Put("/api/queues/orders/ha.bulk." + std::to_string(i), {{"durable", true}}).ok());
  ASSERT_EQ(Ctl(3, "stop_app").exit_code, 0);
  struct Restart {
    ~Restart() { Ctl(3, "start_app"); }
  } restart;  // whatever fails below: the next test needs the whole cluster

  RunResult status = emu_->Warren("status --rabbitmq-url " + ClusterUrls() + " --rabbitmq-credentials-file " + dir_ +
                                  "/rabbitmq-credentials --expected-nodes 3");
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_LE(std::count(status.out.begin(), status.out.end(), '\n'), 15) << status.out;
  EXPECT_TRUE(Has(status.out, " down: 61 mirrored queues at 1/2 synchronised mirrors (")) << status.out;
  EXPECT_TRUE(Has(status.out, " and 58 more)")) << status.out;
  RunResult json = emu_->Warren("status -o json --rabbitmq-url " + ClusterUrls() + " --rabbitmq-credentials-file " +
                                dir_ + "/rabbitmq-credentials --expected-nodes 3");
  Json health = Json::parse(json.out, nullptr, false);
  ASSERT_TRUE(health.is_object()) << json.out;
  EXPECT_EQ(health["mirroredQueues"].size(), 61u) << "the JSON keeps every queue";

  // A new commit: its Kubernetes objects are applied, then it waits for all three nodes.
  std::string cm = Read(Work() + "/deploy/kubernetes/configmap.yaml");
  cm.replace(cm.find("\ndata:\n"), 7, "\ndata:\n  added-by-commit: \"yes\"\n");
  std::ofstream(Work() + "/deploy/kubernetes/configmap.yaml") << cm;
  std::string second = Commit("a key");
  ASSERT_TRUE(Eventually([&] { return Has(agent->Log(), "waiting for RabbitMQ: 2/3 RabbitMQ nodes running"); }, 30))
      << agent->Log();

  double seconds = ScaleAndTimeTheCorrection();
  std::cout << "scale put back after " << seconds << " s while the commit waited for the broker\n";
  EXPECT_GE(seconds, 0) << agent->Log();
  // ... before the commit was through: the correction did not wait for the broker.
  std::string applied = R"(warren_last_applied_commit_info{commit=")" + second + R"(",source="warren"})";
  EXPECT_EQ(agent->Metric(applied), -1) << agent->Log();

  ASSERT_EQ(Ctl(3, "start_app").exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return agent->Metric(applied) == 1; }, 90)) << agent->Log();
  // Each episode of degradation (declaring 60 mirrored queues may be a short one of its own) is
  // said as it began, as its causes changed (the node, then the queues the listing catches up
  // with) and as it ended — never once per 2 s health tick.
  auto said = [&](const char* level, const char* msg) { return Said(agent->Log(), level, msg); };
  EXPECT_TRUE(Eventually(
      [&] {
        return said("info", "RabbitMQ recovered") == said("warn", "RabbitMQ degraded") &&
               said("info", "RabbitMQ recovered") >= 1;
      },
      60))
      << agent->Log();
  std::string log = agent->Log();
  int degraded = Said(log, "warn", "RabbitMQ degraded"), changed = Said(log, "warn", "RabbitMQ problems changed");
  int ticks = Said(log, "debug", "RabbitMQ degraded") + degraded + changed;
  std::cout << "degraded for " << ticks << " health ticks: " << degraded << " + " << changed << " warnings\n";
  EXPECT_LE(degraded, 2) << log;
  EXPECT_LE(changed, 4) << log;
  EXPECT_GT(ticks, degraded + changed) << "the quiet ticks are there, at debug level";
}

TEST_F(AgentUnderFaults, AHungNodeIsReportedUnreachableAndDriftIsStillPutBack) {
  std::string urls = ClusterUrls();
  FaultProxy node1(urls.substr(0, urls.find(',')));
  // A request timeout far above the health interval: only the probe's own deadline finds the hang in time.
  auto agent =
      Run({"--rabbitmq-url", node1.url() + "," + urls.substr(urls.find(',') + 1), "--rabbitmq-timeout", "30s"});
  ASSERT_TRUE(Eventually([&] { return agent->Get("/readyz").first == 200; }, 120)) << agent->Log();
  std::string reachable = R"(warren_rabbitmq_node_reachable{node=")" + node1.url() + R"(",source="warren"})";
  ASSERT_TRUE(Eventually([&] { return agent->Metric(reachable) == 1; }, 20)) << agent->Get("/metrics").second;

  node1.Hang();
  double seconds = ScaleAndTimeTheCorrection();
  std::cout << "scale put back after " << seconds << " s with node 1 hung\n";
  EXPECT_GE(seconds, 0) << agent->Log();
  // Health interval 2 s: reported within two intervals (plus a scrape), not after the 30 s timeout.
  auto hung_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(Eventually([&] { return agent->Metric(reachable) == 0; }, 10)) << agent->Log();
  std::cout << "node 1 reported unreachable after "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - hung_at).count() << " s\n";
  EXPECT_EQ(agent->Metric(R"(warren_rabbitmq_healthy{source="warren"})"), 0);
  EXPECT_TRUE(Has(agent->Log(), "RabbitMQ degraded")) << agent->Log();

  node1.Resume();
  EXPECT_TRUE(Eventually([&] { return agent->Metric(reachable) == 1; }, 30)) << agent->Log();
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

}  // namespace
}  // namespace warren::testing
