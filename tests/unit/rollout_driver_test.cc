// The rollout driver on fakes: FakeKube (the test plays the StatefulSet controller), scripted
// RabbitMQ nodes (one management API per pod URL), and a ManualClock for the per-wait timeout.
#include <gtest/gtest.h>

#include "agent/rollout/driver.h"
#include "diff/rollout/rollout.h"
#include "tests/support/fake_kube.h"
#include "tests/support/manual_clock.h"
#include "tests/support/rabbit_statefulset.h"

namespace warren::rollout {
namespace {

using testing::FakeKube;
using testing::ManualClock;

struct FakeNode {
  std::string name;
  bool up = true;
  long quorum = 200;
  std::string quorum_body = R"({"status":"ok"})";
  long mirror = 200;
  std::string mirror_body = R"({"status":"ok"})";
};

// Nodes by URL, answering as RabbitMQ 3.12 does (no stream rule of warren's own).
class FakeNodes {
 public:
  std::map<std::string, FakeNode> nodes;
  Json queues = Json::array();
  std::map<std::string, Json> queue;  // single-queue GETs by path
  std::vector<std::string> asked;     // "url path"

  std::function<Result<std::unique_ptr<rabbitmq::ManagementApi>>(const std::string&)> Connector() {
    return [this](const std::string& url) -> Result<std::unique_ptr<rabbitmq::ManagementApi>> {
      return std::unique_ptr<rabbitmq::ManagementApi>(std::make_unique<Client>(this, url));
    };
  }

 private:
  class Client : public rabbitmq::ManagementApi {
   public:
    Client(FakeNodes* f, std::string url) : f_(f), urls_{std::move(url)} {}
    Result<Json> Get(const std::string&) override { return Status::Internal("unused"); }
    Result<std::string> GetText(const std::string&) override { return Status::Internal("unused"); }
    Status Put(const std::string&, const Json&) override { return Status::Internal("unused"); }
    Status Post(const std::string&, const Json&) override { return Status::Internal("unused"); }
    Status Delete(const std::string&) override { return Status::Internal("unused"); }
    const std::vector<std::string>& urls() const override { return urls_; }
    Result<net::HttpResponse> GetFromNode(size_t, const std::string& path) override {
      f_->asked.push_back(urls_[0] + " " + path);
      FakeNode& n = f_->nodes.at(urls_[0]);
      if (!n.up) return Status::Unavailable("GET " + path + ": Connection refused (fake)");
      net::HttpResponse r;
      r.status = 200;
      if (path == "/api/overview") {
        r.body = Json{{"node", n.name}, {"rabbitmq_version", "3.12.13"}}.dump();
      } else if (path == "/api/health/checks/node-is-quorum-critical") {
        r.status = n.quorum;
        r.body = n.quorum_body;
      } else if (path == "/api/health/checks/node-is-mirror-sync-critical") {
        r.status = n.mirror;
        r.body = n.mirror_body;
      } else if (f_->queue.count(path)) {
        r.body = f_->queue[path].dump();
      } else if (path == "/api/nodes") {
        Json list = Json::array();
        for (const auto& [url, node] : f_->nodes)
          list.push_back(node.up ? Json{{"name", node.name}, {"running", true}, {"partitions", Json::array()}}
                                 : Json{{"name", node.name}, {"running", false}});
        r.body = list.dump();
      } else if (path == "/api/queues?disable_stats=true") {
        r.body = f_->queues.dump();
      } else {
        r.status = 404;
        r.body = R"({"error":"Object Not Found","reason":"Not Found"})";
      }
      return r;
    }

   private:
    FakeNodes* f_;
    std::vector<std::string> urls_;
  };
};

Object Sts(const std::string& roll, int replicas = 3, const std::string& strategy = "RollingUpdate") {
  return testing::RabbitStatefulSet(roll, replicas, "rabbitmq:3.12", strategy);
}

// A FakeKube on which something else writes the StatefulSet at the n-th read of it.
class RacingKube : public FakeKube {
 public:
  std::function<void()> at_read;
  int read_number = 0;
  Result<std::optional<Json>> Get(const kube::ResourceInfo& r, const std::string& ns,
                                  const std::string& name) override {
    if (r.kind == "StatefulSet" && ++reads_ == read_number && at_read) at_read();
    return FakeKube::Get(r, ns, name);
  }

 private:
  int reads_ = 0;
};

class RolloutDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kube_.instant_statefulsets = false;
    for (int i = 0; i < 5; ++i)
      broker_.nodes["http://rmq-" + std::to_string(i)] = FakeNode{"rabbit" + std::to_string(i + 1) + "@localhost"};
    options_.clock = &clock_;
    options_.timeout = std::chrono::minutes(1);
    options_.addresses.url_template = "http://rmq-{ordinal}";
    options_.connect_node = broker_.Connector();
  }

  // A StatefulSet of `replicas` pods at template `roll`, all Ready, its rollout (if any) finished.
  void Start(const Object& sts) {
    Json doc = sts.doc();
    doc["metadata"]["generation"] = 1;
    doc["metadata"]["annotations"][kStateAnnotation] = EncodeState({TemplateHash(doc["spec"]["template"]), 0, true});
    kube_.Put("apps/v1", "StatefulSet", doc);
    Controller();
  }
  // Applies git's StatefulSet as sync does: with the rollout's hold.
  void Apply(const Object& git) {
    Object live(Live(), SourceLocation{"(live)"});
    Overlaid o = OverlayRollout(git, &live);
    ASSERT_TRUE(kube_.Apply(o.desired.doc(), {}).ok());
  }
  // Three pods at template 1, and template 2 applied held (as sync applies it) and observed.
  void HoldNewTemplate() {
    Start(Sts("1"));
    Apply(Sts("2"));
    Controller();
  }
  Json Live() const { return kube_.Stored("statefulsets.apps", "dev", "rabbitmq"); }
  int Partition() const {
    Json live = Live();
    const Json& p = Field(Field(Field(Field(live, "spec"), "updateStrategy"), "rollingUpdate"), "partition");
    return p.is_number_integer() ? p.get<int>() : 0;
  }
  std::string RevisionOf(int i) const {
    Json pod = kube_.Stored("pods", "dev", "rabbitmq-" + std::to_string(i));
    return pod.is_null() ? "" : pod["metadata"]["labels"].value("controller-revision-hash", "");
  }

  // The StatefulSet controller, one pass: status observed, pods created and replaced (the highest
  // outdated one at or above the partition), scaled down from the top.
  void Controller() {
    Json sts = Live();
    std::string revision = "rmq-" + sts["spec"]["template"]["spec"]["containers"][0]["env"][0].value("value", "");
    int replicas = sts["spec"].value("replicas", 1);
    bool on_delete = sts["spec"].value("updateStrategy", Json::object()).value("type", "") == "OnDelete";
    int partition = on_delete ? replicas : Partition();
    for (int i = 0; i < 8; ++i) {
      std::string name = "rabbitmq-" + std::to_string(i);
      Json pod = kube_.Stored("pods", "dev", name);
      bool outdated = !pod.is_null() && pod["metadata"]["labels"].value("controller-revision-hash", "") != revision;
      if (i >= replicas) {
        if (!pod.is_null()) (void)kube_.Delete(kube_.Resolve("v1", "Pod").value(), "dev", name, "Background", "");
        continue;
      }
      if (pod.is_null() || (outdated && i >= partition && replaced_ < 1)) {
        if (!pod.is_null()) ++replaced_;  // one pod per pass, as the controller does
        kube_.Put("v1", "Pod",
                  {{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"metadata",
                    {{"name", name},
                     {"namespace", "dev"},
                     {"uid", name + "-" + revision},
                     {"labels", {{"app", "rabbitmq"}, {"controller-revision-hash", revision}}}}},
                   {"status", {{"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}}}});
      }
    }
    replaced_ = 0;
    sts["status"] = {{"observedGeneration", sts["metadata"].value("generation", 1)}, {"updateRevision", revision}};
    kube_.Put("apps/v1", "StatefulSet", sts);
  }

  // Advances until the rollout finishes or nothing moves; the ordinals released, in order.
  std::vector<int> Drive(Driver& d, const Object& git, int rounds = 40) {
    std::vector<int> released;
    for (int i = 0; i < rounds; ++i) {
      int before = Partition();
      auto p = d.Advance(git, StopToken());
      EXPECT_TRUE(p.ok()) << p.status().message();
      if (!p.ok()) break;
      if (Partition() != before) released.push_back(Partition());
      Controller();
      if (p.value().Finished()) break;
      clock_.Advance(std::chrono::seconds(1));
    }
    return released;
  }

  RacingKube kube_;
  FakeNodes broker_;
  ManualClock clock_;
  DriverOptions options_;
  int replaced_ = 0;
};

TEST_F(RolloutDriverTest, RollsPodsHighestFirstAndRecordsCompletion) {
  Start(Sts("1"));
  Apply(Sts("2"));
  EXPECT_EQ(Partition(), 3);  // held: nothing restarts on the apply
  Controller();
  EXPECT_EQ(RevisionOf(2), "rmq-1");
  Driver d(kube_, options_);
  EXPECT_EQ(Drive(d, Sts("2")), (std::vector<int>{2, 1, 0}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(RevisionOf(i), "rmq-2");
  auto state = StateOf(Live());
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->complete);
  // Each gate was asked of the node it judges.
  EXPECT_NE(
      std::find(broker_.asked.begin(), broker_.asked.end(), "http://rmq-2 /api/health/checks/node-is-quorum-critical"),
      broker_.asked.end());
}

TEST_F(RolloutDriverTest, AFailingGateWaitsThenHaltsAndGoesOnWhenItPasses) {
  HoldNewTemplate();
  FakeNode& node3 = broker_.nodes["http://rmq-2"];
  node3.quorum = 503;
  node3.quorum_body =
      R"({"status":"failed","reason":"There are quorum queues that would lose their quorum if the target node is shut down","queues":[{"name":"orders.audit","readable_name":"queue 'orders.audit' in vhost '/'","type":"quorum","virtual_host":"/"}]})";
  Driver d(kube_, options_);
  auto p = d.Advance(Sts("2"), StopToken());
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p.value().gate_failed);
  EXPECT_FALSE(p.value().halted);
  EXPECT_EQ(p.value().Summary(),
            "pod 1 of 3 (rabbitmq-2): waiting, queue 'orders.audit' in vhost '/' would lose quorum if "
            "rabbit3@localhost (pod rabbitmq-2) stopped (node-is-quorum-critical)");
  EXPECT_EQ(p.value().StatusLine(), "pod 1 of 3: waiting, orders.audit would lose quorum on rabbit3@localhost");
  clock_.Advance(std::chrono::seconds(61));
  p = d.Advance(Sts("2"), StopToken());
  EXPECT_TRUE(p.value().halted);
  EXPECT_EQ(Partition(), 3);  // never forced
  EXPECT_EQ(RevisionOf(2), "rmq-1");
  node3.quorum = 200;
  EXPECT_EQ(Drive(d, Sts("2")), (std::vector<int>{2, 1, 0}));
}

TEST_F(RolloutDriverTest, NoAnswerFromTheNodeIsNeverAPass) {
  HoldNewTemplate();
  broker_.nodes["http://rmq-2"].quorum = 404;  // an old broker without the check
  Driver d(kube_, options_);
  EXPECT_TRUE(Drive(d, Sts("2"), 5).empty());
  auto p = d.Advance(Sts("2"), StopToken());
  EXPECT_NE(p.value().waiting_for.find("cannot verify"), std::string::npos) << p.value().waiting_for;
  broker_.nodes["http://rmq-2"].quorum = 200;
  broker_.nodes["http://rmq-2"].up = false;  // refused
  EXPECT_TRUE(Drive(d, Sts("2"), 5).empty());
  EXPECT_EQ(Partition(), 3);
}

TEST_F(RolloutDriverTest, TheNextGateWaitsForTheRestartedNodeToRejoin) {
  HoldNewTemplate();
  broker_.queues = Json::parse(R"([{"name":"qq","vhost":"/","type":"quorum",
    "members":["rabbit1@localhost","rabbit2@localhost","rabbit3@localhost"],"online":["rabbit1@localhost","rabbit2@localhost"]}])");
  Driver d(kube_, options_);
  EXPECT_EQ(Drive(d, Sts("2"), 6), (std::vector<int>{2}));
  auto p = d.Advance(Sts("2"), StopToken());
  EXPECT_EQ(p.value().pod, "rabbitmq-2");
  EXPECT_NE(p.value().waiting_for.find("rabbit3@localhost back in queue 'qq' in vhost '/'"), std::string::npos)
      << p.value().waiting_for;
  broker_.queues[0]["online"].push_back("rabbit3@localhost");
  EXPECT_EQ(Drive(d, Sts("2")), (std::vector<int>{1, 0}));
}

TEST_F(RolloutDriverTest, AManualSyncMirrorThatBlocksIsNamedWithWhatWouldUnblockIt) {
  HoldNewTemplate();
  FakeNode& node3 = broker_.nodes["http://rmq-2"];
  node3.mirror = 503;
  node3.mirror_body =
      R"({"status":"failed","reason":"There are classic mirrored queues without online synchronised mirrors","queues":[{"name":"cmq.a","readable_name":"queue 'cmq.a' in vhost '/'","type":"classic","virtual_host":"/"}]})";
  broker_.queue["/api/queues/%2F/cmq.a"] = Json::parse(
      R"({"name":"cmq.a","vhost":"/","type":"classic","node":"rabbit3@localhost","slave_nodes":["rabbit1@localhost"],
          "synchronised_slave_nodes":[],"effective_policy_definition":{"ha-mode":"exactly","ha-params":2}})");
  Driver d(kube_, options_);
  auto p = d.Advance(Sts("2"), StopToken());
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p.value().gate_failed);
  EXPECT_NE(p.value().waiting_for.find("queue 'cmq.a' in vhost '/' would lose its last synchronised mirror"),
            std::string::npos)
      << p.value().waiting_for;
  EXPECT_NE(p.value().waiting_for.find("has ha-sync-mode: manual"), std::string::npos) << p.value().waiting_for;
  EXPECT_NE(p.value().waiting_for.find("set ha-sync-mode: automatic"), std::string::npos) << p.value().waiting_for;
  EXPECT_EQ(Partition(), 3);
}

TEST_F(RolloutDriverTest, AStepDecidedOnAStaleReadIsNotWritten) {
  HoldNewTemplate();
  // Between the driver's read and its write (under the lock), a new commit's template lands.
  kube_.read_number = 2;
  kube_.at_read = [&] { Apply(Sts("3")); };
  Driver d(kube_, options_);
  auto p = d.Advance(Sts("2"), StopToken());
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p.value().action.empty());
  EXPECT_EQ(Partition(), 3) << "the step would have put template 2 back over template 3";
  EXPECT_EQ(Live()["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"], "3");
}

TEST_F(RolloutDriverTest, TheNodeReachedMustBeThePods) {
  HoldNewTemplate();
  broker_.nodes["http://rmq-2"].name = "rabbit@rabbitmq-0.rabbitmq-nodes.dev";
  Driver d(kube_, options_);
  auto p = d.Advance(Sts("2"), StopToken());
  EXPECT_NE(p.value().waiting_for.find("answers as rabbit@rabbitmq-0.rabbitmq-nodes.dev, the node of pod rabbitmq-0"),
            std::string::npos)
      << p.value().waiting_for;
  EXPECT_EQ(Partition(), 3);
}

TEST_F(RolloutDriverTest, OnDeleteGetsTheSameGateAndWarrenDeletesThePod) {
  Start(Sts("1", 3, "OnDelete"));
  Apply(Sts("2", 3, "OnDelete"));
  Controller();
  EXPECT_EQ(RevisionOf(2), "rmq-1");  // OnDelete: the controller replaces nothing itself
  Driver d(kube_, options_);
  auto p = d.Advance(Sts("2", 3, "OnDelete"), StopToken());
  ASSERT_TRUE(p.ok());
  EXPECT_NE(p.value().action.find("deleted pod rabbitmq-2"), std::string::npos) << p.value().action;
  EXPECT_TRUE(kube_.Stored("pods", "dev", "rabbitmq-2").is_null());
  Controller();  // recreated at the update revision
  EXPECT_EQ(RevisionOf(2), "rmq-2");
}

TEST_F(RolloutDriverTest, AScaleDownGatesEachLeavingNode) {
  Start(Sts("1", 5));
  Apply(Sts("1", 3));
  Controller();
  EXPECT_EQ(Live()["spec"]["replicas"], 5);  // held
  broker_.nodes["http://rmq-3"].quorum = 503;
  Driver d(kube_, options_);
  auto p = d.Advance(Sts("1", 3), StopToken());
  EXPECT_EQ(p.value().step, StepKind::kGateScaleDown);
  EXPECT_EQ(Live()["spec"]["replicas"], 4);  // pod 4's node passed
  Controller();
  p = d.Advance(Sts("1", 3), StopToken());
  EXPECT_TRUE(p.value().gate_failed);  // pod 3's node would lose quorum: it stays
  EXPECT_EQ(Live()["spec"]["replicas"], 4);
  broker_.nodes["http://rmq-3"].quorum = 200;
  broker_.nodes["http://rmq-4"].up = false;  // gone with its pod: not expected to run any more
  p = d.Advance(Sts("1", 3), StopToken());
  EXPECT_EQ(Live()["spec"]["replicas"], 3);
  EXPECT_EQ(StateOf(Live())->departed, (std::vector<std::string>{"rabbit5@localhost", "rabbit4@localhost"}));
}

}  // namespace
}  // namespace warren::rollout
