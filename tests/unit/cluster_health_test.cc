// Cluster health and mirror status from management API answers shaped as RabbitMQ 3.10.8 gives
// them (../shared/reference/rabbitmq-3.10.md §4.3-4.10).
#include <gtest/gtest.h>

#include <algorithm>

#include "diff/rabbit/cluster_health.h"

namespace warren::rabbit {
namespace {

Json Nodes(bool node3_running) {
  Json nodes = Json::parse(R"([
    {"name":"rabbit1@localhost","running":true,"partitions":[],"mem_alarm":false,"disk_free_alarm":false},
    {"name":"rabbit2@localhost","running":true,"partitions":[],"mem_alarm":false,"disk_free_alarm":false}])");
  nodes.push_back(
      node3_running
          ? Json::parse(
                R"({"name":"rabbit3@localhost","running":true,"partitions":[],"mem_alarm":false,"disk_free_alarm":false})")
          : Json::parse(
                R"({"name":"rabbit3@localhost","running":false,"partitions":null,"mem_alarm":null,"disk_free_alarm":null,"uptime":null})"));
  return nodes;
}

const char* kPolicies = R"([
  {"vhost":"gitops","name":"ha-all","pattern":"^ha\\.","apply-to":"queues","definition":{"ha-mode":"all","ha-sync-mode":"automatic"},"priority":0},
  {"vhost":"gitops","name":"ha-two","pattern":"^two\\.","apply-to":"queues","definition":{"ha-mode":"exactly","ha-params":2},"priority":1},
  {"vhost":"gitops","name":"ha-man","pattern":"^man\\.","apply-to":"queues","definition":{"ha-mode":"all"},"priority":0},
  {"vhost":"gitops","name":"ttl","pattern":"^ttl\\.","apply-to":"queues","definition":{"message-ttl":1000},"priority":0}])";

// The lag-free listing (disable_stats=true) with extra fields the parser must drop.
std::string Listing(const std::string& ha_orders_slaves, const std::string& ha_orders_synced,
                    const std::string& qq_online) {
  return R"([
    {"name":"ha.orders","vhost":"gitops","type":"classic","policy":"ha-all","node":"rabbit1@localhost","state":"running",
     "slave_nodes":)" +
         ha_orders_slaves + R"(,"synchronised_slave_nodes":)" + ha_orders_synced + R"(,
     "messages":5,"arguments":{},"garbage_collection":{"max_heap_size":-1},"backing_queue_status":{"len":5}},
    {"name":"two.orders","vhost":"gitops","type":"classic","policy":"ha-two","node":"rabbit2@localhost",
     "slave_nodes":["rabbit1@localhost"],"synchronised_slave_nodes":["rabbit1@localhost"]},
    {"name":"man.q","vhost":"gitops","type":"classic","policy":"ha-man","node":"rabbit1@localhost",
     "slave_nodes":["rabbit2@localhost","rabbit3@localhost"],"synchronised_slave_nodes":["rabbit2@localhost","rabbit3@localhost"]},
    {"name":"ttl.q","vhost":"gitops","type":"classic","policy":"ttl","node":"rabbit1@localhost"},
    {"name":"plain","vhost":"gitops","type":"classic","policy":null,"node":"rabbit1@localhost"},
    {"name":"orders.qq","vhost":"gitops","type":"quorum","exclusive":null,"leader":"rabbit1@localhost",
     "members":["rabbit1@localhost","rabbit3@localhost","rabbit2@localhost"],"online":)" +
         qq_online + R"(}])";
}

HealthInputs Inputs(bool node3_running, const std::string& listing, int expected_nodes = 3) {
  HealthInputs in;
  in.nodes = Nodes(node3_running);
  auto queues = ParseQueueListing(listing);
  EXPECT_TRUE(queues.ok()) << queues.status().message();
  in.queues = queues.value();
  in.policies = Json::parse(kPolicies);
  in.expected_nodes = expected_nodes;
  return in;
}

const char* kAll3 = R"(["rabbit1@localhost","rabbit3@localhost","rabbit2@localhost"])";

TEST(ClusterHealth, HealthyClusterSummaryReadsInOneLine) {
  ClusterHealth h = AssessHealth(Inputs(true, Listing(R"(["rabbit3@localhost","rabbit2@localhost"])",
                                                      R"(["rabbit2@localhost","rabbit3@localhost"])", kAll3)));
  EXPECT_TRUE(h.healthy()) << RenderHealthText(h);
  EXPECT_EQ(HealthSummary(h), "3/3 nodes, 3/3 mirrored queues synchronised, 1/1 quorum queues fully online, 0 alarms");
}

TEST(ClusterHealth, StoppedNodeShowsMissingNodeUnderMirroredAndOfflineMembers) {
  // 0-6 s after stop_app on node 3: the listing may still name rabbit3 as a synchronised mirror of
  // man.q and as online for orders.qq; /api/nodes already says it is down.
  HealthInputs in = Inputs(false, Listing(R"(["rabbit2@localhost"])", R"(["rabbit2@localhost"])", kAll3));
  in.checks.push_back({"http://127.0.0.1:15672",
                       "node-is-quorum-critical",
                       true,
                       false,
                       "There are quorum queues that would lose their quorum if the target node is shut down",
                       {"queue 'orders.qq' in vhost 'gitops'"}});
  in.checks.push_back({"http://127.0.0.1:15674", "alarms", false, false, "connection refused", {}});
  ClusterHealth h = AssessHealth(in);
  EXPECT_FALSE(h.healthy());
  std::string text = RenderHealthText(h);
  EXPECT_NE(text.find("2/3 nodes running: rabbit3@localhost is not running"), std::string::npos) << text;
  // The queues are grouped under their cause, the node; each queue's own detail stays in the JSON.
  EXPECT_NE(text.find("  - node rabbit3@localhost down: 2 mirrored queues at 1/2 synchronised mirrors (ha.orders, "
                      "man.q); 1 quorum queue at 2/3 members online (orders.qq)\n"),
            std::string::npos)
      << text;
  ASSERT_EQ(h.mirrored.size(), 3u);
  EXPECT_EQ(h.mirrored[0].problem,
            "queue ha.orders (vhost gitops): 1/2 mirrors synchronised (policy ha-all, ha-mode all); 1 mirror missing");
  EXPECT_EQ(HealthToJson(h)["quorumQueues"][0]["problem"],
            "queue orders.qq (vhost gitops): 2/3 members online; offline: rabbit3@localhost");
  EXPECT_EQ(HealthDescription(h), "degraded: 2/3 nodes running: rabbit3@localhost is not running (+2 more)");
  EXPECT_NE(text.find("node-is-quorum-critical failed"), std::string::npos) << text;
  EXPECT_EQ(text.find("connection refused"), std::string::npos) << "a down node is reported once, as a node";
  // Per node, what stopping it now would cost.
  EXPECT_NE(text.find("stopping each node now:\n  http://127.0.0.1:15672: quorum-critical: yes (queue 'orders.qq' in "
                      "vhost 'gitops')\n  http://127.0.0.1:15674: unreachable: cannot say\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(HealthSummary(h), "2/3 nodes, 1/3 mirrored queues synchronised, 0/1 quorum queues fully online, 0 alarms");
}

TEST(ClusterHealth, ANodeThatDoesNotAnswerWhileCountedRunningIsAProblem) {
  // SIGSTOP on node 1: its peers count it running until net_ticktime, its URL answers nothing.
  HealthInputs in = Inputs(true, Listing(R"(["rabbit3@localhost","rabbit2@localhost"])",
                                         R"(["rabbit2@localhost","rabbit3@localhost"])", kAll3));
  in.checks.push_back({"http://127.0.0.1:15672", "alarms", false, false, "timed out after 1000 ms", {}});
  in.checks.push_back({"http://127.0.0.1:15673", "alarms", true, true, "", {}});
  ClusterHealth h = AssessHealth(in);
  EXPECT_FALSE(h.healthy());
  std::string text = RenderHealthText(h);
  EXPECT_NE(text.find("http://127.0.0.1:15672: did not answer its health check: timed out after 1000 ms"),
            std::string::npos)
      << text;
}

TEST(ClusterHealth, ManualSyncMirrorStaysUnsynchronised) {
  std::string listing = Listing(R"(["rabbit2@localhost","rabbit3@localhost"])", R"(["rabbit2@localhost"])", kAll3);
  ClusterHealth h = AssessHealth(Inputs(true, listing));
  ASSERT_FALSE(h.healthy());
  EXPECT_EQ(h.problems.size(), 1u);
  EXPECT_EQ(h.problems[0],
            "mirrors on rabbit3@localhost not synchronised: 1 mirrored queue at 1/2 synchronised mirrors (ha.orders)");
  EXPECT_NE(h.mirrored[0].problem.find("unsynchronised: rabbit3@localhost"), std::string::npos)
      << h.mirrored[0].problem;
  HealthInputs in = Inputs(true, listing);
  EXPECT_EQ(QueuesToConfirm(in), std::vector<size_t>{0});
}

TEST(ClusterHealth, ExpectedMirrorsFollowHaMode) {
  // StatefulSet wants 5 nodes, 3 joined: ha-mode all expects 4 mirrors, exactly 2 expects 1.
  ClusterHealth h = AssessHealth(Inputs(
      true,
      Listing(R"(["rabbit2@localhost","rabbit3@localhost"])", R"(["rabbit2@localhost","rabbit3@localhost"])", kAll3),
      5));
  ASSERT_EQ(h.mirrored.size(), 3u);
  EXPECT_EQ(h.mirrored[0].expected, 4);
  EXPECT_EQ(h.mirrored[1].expected, 1);
  EXPECT_TRUE(h.mirrored[1].healthy);
  EXPECT_NE(h.problems[0].find("3/5 nodes running"), std::string::npos) << h.problems[0];
  EXPECT_NE(h.problems[0].find("2 expected node(s) never joined"), std::string::npos) << h.problems[0];

  HealthInputs nodes_mode = Inputs(true, R"([{"name":"pin.q","vhost":"v","type":"classic","policy":"pin",
      "slave_nodes":[],"synchronised_slave_nodes":[]}])");
  nodes_mode.policies = Json::parse(R"([{"vhost":"v","name":"pin","definition":
      {"ha-mode":"nodes","ha-params":["rabbit1@localhost","rabbit3@localhost"]}}])");
  ClusterHealth pin = AssessHealth(nodes_mode);
  ASSERT_EQ(pin.mirrored.size(), 1u);
  EXPECT_EQ(pin.mirrored[0].expected, 1);
  EXPECT_FALSE(pin.mirrored[0].healthy);
}

TEST(ClusterHealth, AlarmsFromNodesAndFromTheHealthCheck) {
  HealthInputs in = Inputs(true, "[]");
  in.nodes[1]["mem_alarm"] = true;
  in.checks.push_back({"http://127.0.0.1:15672",
                       "alarms",
                       true,
                       false,
                       "There are alarms in effect in the cluster",
                       {"rabbit3@localhost: disk space", "rabbit2@localhost: memory"}});
  ClusterHealth h = AssessHealth(in);
  EXPECT_EQ(h.alarms, (std::vector<std::string>{"rabbit2@localhost: memory", "rabbit3@localhost: disk space"}));
  EXPECT_FALSE(h.healthy());
  EXPECT_NE(HealthSummary(h).find("2 alarms"), std::string::npos);
  Json j = HealthToJson(h);
  EXPECT_EQ(j["healthy"], false);
  EXPECT_EQ(j["alarms"].size(), 2u);
}

TEST(ClusterHealth, QuorumQueueWithoutLeaderIsUnhealthy) {
  ClusterHealth h = AssessHealth(Inputs(true, R"([{"name":"q","vhost":"v","type":"quorum","leader":null,
      "members":["rabbit1@localhost"],"online":["rabbit1@localhost"]}])"));
  ASSERT_EQ(h.quorum.size(), 1u);
  EXPECT_FALSE(h.quorum[0].healthy);
  EXPECT_NE(h.quorum[0].problem.find("no leader"), std::string::npos);
}

TEST(ClusterHealth, ListingParserKeepsOnlyWhatItNeedsAndRejectsGarbage) {
  auto q = ParseQueueListing(Listing("[]", "[]", "[]"));
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q.value().size(), 6u);
  EXPECT_EQ(q.value()[0].messages, 5);
  EXPECT_EQ(q.value()[0].node, "rabbit1@localhost");
  EXPECT_EQ(q.value()[5].members.size(), 3u);
  EXPECT_FALSE(ParseQueueListing("{\"not\":\"a list\"}").ok());
  EXPECT_FALSE(ParseQueueListing("[{").ok());
}

// 10,000 queues and one node down: the text says the cause once, with counts and a few names;
// the JSON keeps every queue.
TEST(ClusterHealth, TenThousandQueuesOneNodeDownGroupIntoAFewLines) {
  std::string listing = "[";
  for (int i = 0; i < 9960; ++i)
    listing += std::string(i ? "," : "") + R"({"name":"orders.)" + std::to_string(i) +
               R"(","vhost":"gitops","type":"classic","policy":"ha-all","node":"rabbit1@localhost",
               "slave_nodes":["rabbit2@localhost"],"synchronised_slave_nodes":["rabbit2@localhost"]})";
  for (int i = 0; i < 40; ++i)
    listing += R"(,{"name":"qq.)" + std::to_string(i) + R"(","vhost":"gitops","type":"quorum",
               "leader":"rabbit1@localhost","members":["rabbit1@localhost","rabbit2@localhost","rabbit3@localhost"],
               "online":["rabbit1@localhost","rabbit2@localhost"]})";
  listing += "]";
  ClusterHealth h = AssessHealth(Inputs(false, listing));
  ASSERT_EQ(h.mirrored.size(), 9960u);
  std::string text = RenderHealthText(h);
  EXPECT_LE(std::count(text.begin(), text.end(), '\n'), 15) << text;
  EXPECT_NE(text.find("node rabbit3@localhost down: 9,960 mirrored queues at 1/2 synchronised mirrors (orders.0, "
                      "orders.1, orders.2 and 9,957 more); 40 quorum queues at 2/3 members online (qq.0, qq.1, qq.2 "
                      "and 37 more)"),
            std::string::npos)
      << text;
  EXPECT_EQ(h.problems.size(), h.causes.size());
  EXPECT_EQ(h.causes[1],
            "node rabbit3@localhost down|mirrored at 1/2 synchronised mirrors|quorum at 2/3 members online");
  Json j = HealthToJson(h);
  EXPECT_EQ(j["mirroredQueues"].size(), 9960u);
  EXPECT_EQ(j["quorumQueues"].size(), 40u);
}

// Many different causes (here: a mirror unsynchronised on each of many nodes): the first few are
// said, the rest counted.
TEST(ClusterHealth, ManyCausesAreCappedWithACount) {
  HealthInputs in;
  for (int n = 0; n < 20; ++n)
    in.nodes.push_back({{"name", "rabbit" + std::to_string(n) + "@localhost"}, {"running", true}});
  for (int n = 1; n < 20; ++n) {
    QueueSample q;
    q.vhost = "v";
    q.name = "q" + std::to_string(n);
    q.type = "classic";
    q.policy = "ha-two";
    q.slave_nodes = {"rabbit" + std::to_string(n) + "@localhost"};
    in.queues.push_back(q);
  }
  in.policies = Json::parse(R"([{"vhost":"v","name":"ha-two","definition":{"ha-mode":"exactly","ha-params":2}}])");
  ClusterHealth h = AssessHealth(in);
  ASSERT_EQ(h.problems.size(), 9u) << RenderHealthText(h);
  EXPECT_EQ(h.problems.back(), "11 more causes affecting 11 more queues (warren status -o json lists every queue)");
}

TEST(ClusterHealth, CountsReadWithThousandsSeparators) {
  EXPECT_EQ(WithThousands(0), "0");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(WithThousands(2998), "2,998");
  EXPECT_EQ(WithThousands(1234567), "1,234,567");
}

}  // namespace
}  // namespace warren::rabbit
