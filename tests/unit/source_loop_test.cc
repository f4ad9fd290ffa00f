// A source's lanes (agent/run/source_loop.h) on the fake Kubernetes API, a scripted broker and a
// stepped clock: whatever holds up the sync lane — a commit waiting for a broker node, a broker
// that hangs, an object the API server refuses — a drift event is put back at once by the
// Kubernetes lane. The clock never moves unless the test says so, so the sync lane stays exactly
// where the test left it; each wait below is on a condition, bounded by one second of real time.
// agent_faults_test proves the same on the emulator and the real cluster.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "agent/run/source_loop.h"
#include "diff/model/base64.h"
#include "tests/support/fake_kube.h"
#include "tests/support/fake_rabbit.h"
#include "tests/support/sops_writer.h"
#include "tests/support/stepped_clock.h"

namespace warren::run {
namespace {

using std::chrono::milliseconds;
using testing::FakeKube;
using testing::FakeRabbit;
using testing::SteppedClock;

constexpr milliseconds kWithin{1000};  // "at once": real time, on a loaded machine

Json ConfigMap() {
  return Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"rabbitmq-config","namespace":"dev"},"data":{"enabled_plugins":"[rabbitmq_management]."}})");
}
Json StatefulSet() {
  return Json::parse(R"({"apiVersion":"apps/v1","kind":"StatefulSet",
    "metadata":{"name":"rabbitmq","namespace":"dev"},
    "spec":{"replicas":3,"serviceName":"rabbitmq","selector":{"matchLabels":{"app":"rabbitmq"}},
      "template":{"metadata":{"labels":{"app":"rabbitmq"}},
        "spec":{"containers":[{"name":"rabbitmq","image":"rabbitmq:3.10"}]}}}})");
}

// The commit statuses the loop reports, in order.
class RecordedStatuses : public forge::StatusSink {
 public:
  void Report(const std::string& sha, const std::string& context, forge::State state,
              const std::string& description) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(sha + " " + context + " " + forge::StateName(state) + ": " + description);
    added_.notify_all();
  }
  // The first `n` lines of `context`, once there are (at most one second of real time).
  std::vector<std::string> First(size_t n, const std::string& context) {
    std::unique_lock<std::mutex> lock(mu_);
    std::vector<std::string> out;
    added_.wait_for(lock, kWithin, [&] {
      out.clear();
      for (const std::string& l : lines_)
        if (l.find(" " + context + " ") != std::string::npos && out.size() < n) out.push_back(l);
      return out.size() >= n;
    });
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable added_;
  std::vector<std::string> lines_;
};

class SourceLoopLanes : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_.health_interval = std::chrono::seconds(30);
    agent_.timeout = std::chrono::seconds(300);
    spec_.ns = "dev";
    spec_.rabbit = RabbitTarget{{"http://rabbit-1:15672"}, "", "", milliseconds(10000), ""};
    desired_.commit = "c0ffee";
    desired_.manifests.objects = {Object(ConfigMap(), {"configmap.yaml"}), Object(StatefulSet(), {"sts.yaml"})};
    auto log = Logger::Create({"text", "error"});
    ASSERT_TRUE(log.ok());
    log_ = log.value();
    ctx_.kube = &kube_;
    ctx_.metrics = &metrics_;
    ctx_.log = log_.get();
    ctx_.events = &events_;
    ctx_.agent = &agent_;
    ctx_.clock = &clock_;
    ctx_.on_first_reconcile = [this] { converged_.set_value(); };
    ctx_.load = [this](const source::DesiredSource&) { return Result<source::Desired>(desired_); };
    ctx_.connect_rabbit = [this](const rabbitmq::ConnectOptions& o) { return rabbit_.Connect(o); };
  }
  void TearDown() override { Stop(); }
  void Start() {
    loop_ = std::make_unique<SourceLoop>(spec_, ctx_);
    thread_ = std::thread([this] { loop_->Run(term_); });
  }
  void Stop() {
    term_.RequestStop();
    rabbit_.Resume();
    if (thread_.joinable()) thread_.join();
  }
  int Replicas() {
    Json s = kube_.Stored("statefulsets.apps", "dev", "rabbitmq");
    return s.is_object() ? s["spec"].value("replicas", -1) : -1;
  }
  // kubectl scale, as far as the agent can tell: a write by someone else, seen by its watch.
  void ScaleByHand(int replicas) {
    Json s = kube_.Stored("statefulsets.apps", "dev", "rabbitmq");
    s["spec"]["replicas"] = replicas;
    auto r = kube_.Resolve("apps/v1", "StatefulSet");
    ASSERT_TRUE(kube_.Update(r.value(), "dev", s).ok());
  }
  bool Applied() {
    return kube_.WaitFor([&] { return Replicas() == 3; }, kWithin);
  }
  double Metric(const std::string& name, const Labels& labels) { return metrics_.Value(name, labels); }

  FakeKube kube_;
  FakeRabbit rabbit_;
  SteppedClock clock_;
  Metrics metrics_;
  std::shared_ptr<Logger> log_;
  EventRecorder events_{"warren", "test", &clock_};
  AgentOptions agent_;
  SourceSpec spec_;
  source::Desired desired_;
  SourceContext ctx_;
  std::promise<void> converged_;
  StopSource term_;
  std::unique_ptr<SourceLoop> loop_;
  std::thread thread_;
};

TEST_F(SourceLoopLanes, DriftIsPutBackWhileANewCommitWaitsForABrokerNode) {
  rabbit_.SetNodes(2, 3);  // the commit's objects go in, then it waits for the third node
  Start();
  ASSERT_TRUE(Applied());
  ScaleByHand(1);  // down: a hand scale-up is put back only as each leaving node allows
  EXPECT_TRUE(Applied()) << "the Kubernetes lane did not put the scale back while the sync lane waited";
  EXPECT_EQ(Metric("warren_last_applied_commit_info", {{"source", "warren"}, {"commit", "c0ffee"}}), 0)
      << "the commit is still waiting for the broker";
  // Counted, then recorded as an Event (a write the fake API sees).
  EXPECT_TRUE(kube_.WaitFor(
      [&] {
        // The fake API keeps no managedFields: nobody to name.
        return Metric("warren_drift_corrections_total",
                      {{"source", "warren"}, {"kind", "StatefulSet"}, {"manager", "unknown"}}) >= 1;
      },
      kWithin));

  rabbit_.SetNodes(3, 3);
  clock_.Advance(milliseconds(500));  // the broker wait looks again
  auto converged = converged_.get_future();
  EXPECT_EQ(converged.wait_for(kWithin), std::future_status::ready);
  EXPECT_EQ(Metric("warren_last_applied_commit_info", {{"source", "warren"}, {"commit", "c0ffee"}}), 1);
}

TEST_F(SourceLoopLanes, DriftIsPutBackWhileTheBrokerHangs) {
  rabbit_.Hang();  // the sync lane's broker wait and the health probe both block
  Start();
  ASSERT_TRUE(Applied());
  ASSERT_TRUE(rabbit_.WaitForHanging(2, kWithin));
  ScaleByHand(1);  // down: a hand scale-up is put back only as each leaving node allows
  EXPECT_TRUE(Applied()) << "the Kubernetes lane waited for the hung broker";
  EXPECT_GE(rabbit_.hanging(), 2) << "the sync and health lanes are still blocked";
}

TEST_F(SourceLoopLanes, ARefusedObjectHoldsUpNoOtherCorrection) {
  kube_.Refuse("ConfigMap", "rabbitmq-config", "data: too long");
  Start();
  // The sync lane stops at the refused ConfigMap; the StatefulSet after it is applied all the same.
  ASSERT_TRUE(Applied());
  ScaleByHand(1);  // down: a hand scale-up is put back only as each leaving node allows
  EXPECT_TRUE(Applied());
  EXPECT_TRUE(kube_.Stored("configmaps", "dev", "rabbitmq-config").is_null());
  EXPECT_GE(Metric("warren_reconcile_total", {{"source", "warren"}, {"result", "failure"}}), 1);
  EXPECT_EQ(Metric("warren_drifted_objects", {{"source", "warren"}, {"kind", "ConfigMap"}}), 1);
}

// warren/sync goes pending, then success, for the commit; the broker's health and mirror status
// follow at the next health tick, for the commit applied.
TEST_F(SourceLoopLanes, CommitStatusesFollowTheSyncAndTheHealthTick) {
  RecordedStatuses statuses;
  ctx_.statuses = &statuses;
  Start();
  EXPECT_EQ(converged_.get_future().wait_for(kWithin), std::future_status::ready);
  std::vector<std::string> sync = statuses.First(2, "warren/sync");
  ASSERT_EQ(sync.size(), 2u);
  EXPECT_EQ(sync[0], "c0ffee warren/sync pending: applying c0ffee");
  EXPECT_EQ(sync[1].rfind("c0ffee warren/sync success: ", 0), 0u) << sync[1];
  ASSERT_TRUE(clock_.WaitForSleepers(1, kWithin));  // the health lane, until its next tick
  clock_.Advance(agent_.health_interval);
  std::vector<std::string> health = statuses.First(1, "warren/health");
  ASSERT_EQ(health.size(), 1u);
  EXPECT_EQ(health[0].rfind("c0ffee warren/health success: 3/3 nodes", 0), 0u) << health[0];
  std::vector<std::string> mirrors = statuses.First(1, "warren/mirrors");
  ASSERT_EQ(mirrors.size(), 1u);
  EXPECT_EQ(mirrors[0].rfind("c0ffee warren/mirrors success", 0), 0u) << mirrors[0];
  Stop();  // before `statuses` goes: the lanes report into it
}

// A repository that cannot be read is asked again after 1 s, 2 s, 4 s ... not at the next poll
// (5 min): the stepped clock says exactly when each attempt comes.
TEST_F(SourceLoopLanes, GitErrorsBackOffFromOneSecondDoubling) {
  std::mutex mu;
  std::condition_variable polled;
  int polls = 0;
  ctx_.load = [&](const source::DesiredSource&) {
    std::lock_guard<std::mutex> lock(mu);
    ++polls;
    polled.notify_all();
    return Result<source::Desired>(Status::Unavailable("fetch https://git.example/app.git: connection refused"));
  };
  auto polls_reach = [&](int n) {
    std::unique_lock<std::mutex> lock(mu);
    return polled.wait_for(lock, kWithin, [&] { return polls >= n; });
  };
  auto polls_now = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return polls;
  };
  Start();
  ASSERT_TRUE(polls_reach(1));
  int expected = 1;
  for (int wait_ms : {1000, 2000, 4000, 8000}) {
    clock_.Advance(milliseconds(wait_ms - 1));
    EXPECT_EQ(polls_now(), expected) << "polled before its backoff of " << wait_ms << " ms ended";
    clock_.Advance(milliseconds(1));
    EXPECT_TRUE(polls_reach(++expected)) << "not polled after " << wait_ms << " ms";
  }
  Stop();  // the last poll is counted once its lane has finished with it
  EXPECT_EQ(Metric("warren_git_polls_total", {{"source", "warren"}, {"result", "error"}}), expected);
}

// A commit that cannot be decrypted: warren/sync error on that commit, nothing applied, and a new
// attempt as soon as the key Secret changes (looked at every 5 s) rather than when the backoff ends.
TEST_F(SourceLoopLanes, AnUndecryptableCommitIsReportedAndRetriedWhenTheKeySecretChanges) {
  RecordedStatuses statuses;
  ctx_.statuses = &statuses;
  testing::SopsKey wrong = testing::NewSopsKey(), right = testing::NewSopsKey();
  auto secrets = kube_.Resolve("v1", "Secret");
  ASSERT_TRUE(secrets.ok());
  auto key_secret = [](const testing::SopsKey& k) {
    return Json{{"apiVersion", "v1"},
                {"kind", "Secret"},
                {"metadata", {{"name", "sops-age"}, {"namespace", "dev"}}},
                {"data", {{"age.agekey", Base64Encode("# a key\n" + k.identity + "\n")}}}};
  };
  ASSERT_TRUE(kube_.Create(secrets.value(), "dev", key_secret(wrong)).ok());
  spec_.desired.decryption.secret = "dev/sops-age";
  std::mutex mu;
  std::condition_variable polled;
  std::vector<Clock::TimePoint> polls;
  ctx_.load = [&](const source::DesiredSource& src) {
    std::lock_guard<std::mutex> lock(mu);
    polls.push_back(clock_.Now());
    polled.notify_all();
    bool opens = src.keys && !src.keys->empty() && src.keys->identities[0].recipient == right.recipient;
    if (opens) return Result<source::Desired>(desired_);
    return Result<source::Desired>(Status::Invalid(
        "commit c0ffee: deploy/secret.yaml: cannot decrypt (SOPS): no identity matched: " + src.keys->Describe()));
  };
  auto polls_reach = [&](size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return polled.wait_for(lock, kWithin, [&] { return polls.size() >= n; });
  };
  Start();
  ASSERT_TRUE(polls_reach(1));
  std::vector<std::string> sync = statuses.First(1, "warren/sync");
  ASSERT_EQ(sync.size(), 1u);
  EXPECT_EQ(sync[0].rfind("c0ffee warren/sync error: commit c0ffee: deploy/secret.yaml: cannot decrypt (SOPS)", 0), 0u)
      << sync[0];
  EXPECT_EQ(sync[0].find(wrong.identity), std::string::npos);
  // The backoff's own attempts: after 1 s, 2 s and 4 s (t = 1, 3, 7 s); the next would be at 15 s.
  size_t expected = 1;
  for (int wait_ms : {1000, 2000, 4000}) {
    clock_.Advance(milliseconds(wait_ms));
    ASSERT_TRUE(polls_reach(++expected)) << "not polled after " << wait_ms << " ms";
  }
  EXPECT_EQ(Replicas(), -1) << "applied from a commit it could not decrypt";
  ASSERT_TRUE(kube_.Update(secrets.value(), "dev", key_secret(right)).ok());  // the key rotated at t = 7 s
  clock_.Advance(milliseconds(4999));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(polls.size(), 4u) << "polled before the key check was due";
  }
  clock_.Advance(milliseconds(1));  // t = 12 s: the Secret's resourceVersion moved
  ASSERT_TRUE(polls_reach(5));
  EXPECT_TRUE(Applied());
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(polls[4] - polls[3], milliseconds(5000));
  }
  Stop();
}

// Needs action (here: a server-side apply conflict over a hand edit) is said once and not
// retried on a backoff; when the object changes again, it is looked at again.
TEST_F(SourceLoopLanes, AConflictNeedsActionAndIsTriedAgainOnlyWhenTheObjectChanges) {
  auto plugins = [&] {
    Json c = kube_.Stored("configmaps", "dev", "rabbitmq-config");
    return c.is_object() ? StringField(c["data"], "enabled_plugins") : std::string();
  };
  auto edit_by_hand = [&](const std::string& value) {
    Json c = kube_.Stored("configmaps", "dev", "rabbitmq-config");
    c["data"]["enabled_plugins"] = value;
    auto r = kube_.Resolve("v1", "ConfigMap");
    ASSERT_TRUE(kube_.Update(r.value(), "dev", c).ok());
  };
  const std::string git = "[rabbitmq_management].";
  Start();
  ASSERT_TRUE(kube_.WaitFor([&] { return plugins() == git; }, kWithin));
  ASSERT_EQ(converged_.get_future().wait_for(kWithin), std::future_status::ready);
  kube_.Conflict("ConfigMap", "rabbitmq-config", R"(conflict with "kubectl-edit" using v1: .data.enabled_plugins)");
  edit_by_hand("[rabbitmq_shovel].");
  ASSERT_TRUE(kube_.WaitFor(
      [&] {
        return Metric("warren_reconcile_total", {{"source", "warren"}, {"result", "needs_action"}}) >= 1;
      },
      kWithin));
  int tried = kube_.applies("ConfigMap", "rabbitmq-config");
  for (int minute = 0; minute < 10; ++minute) clock_.Advance(std::chrono::minutes(1));
  EXPECT_FALSE(kube_.WaitFor([&] { return kube_.applies("ConfigMap", "rabbitmq-config") > tried; }, milliseconds(300)))
      << "retried although nothing changed";
  EXPECT_EQ(plugins(), "[rabbitmq_shovel].");
  EXPECT_EQ(Metric("warren_reconcile_total", {{"source", "warren"}, {"result", "failure"}}), 0);
  // A Warning Event on the ConfigMap says what to do.
  auto events = kube_.Resolve("v1", "Event");
  auto listed = kube_.List(events.value(), "dev", "");
  ASSERT_TRUE(listed.ok());
  bool warned = false;
  for (const Json& e : listed.value())
    warned |= e["reason"] == "NeedsAction" && e["involvedObject"]["name"] == "rabbitmq-config" &&
              StringField(e, "message").find("force-conflicts") != std::string::npos;
  EXPECT_TRUE(warned);

  kube_.Conflict("ConfigMap", "rabbitmq-config", "");  // the other manager let go, and the object changed
  edit_by_hand("[rabbitmq_federation].");
  EXPECT_TRUE(kube_.WaitFor([&] { return plugins() == git; }, kWithin));
}

// Removed from git with prune off: left in place, the commit in sync (said so), counted in the
// orphan gauge; one summary Event for the commit rather than one per object.
TEST_F(SourceLoopLanes, AnObjectRemovedFromGitWithPruneOffIsLeftInPlaceAndTheCommitIsInSync) {
  RecordedStatuses statuses;
  ctx_.statuses = &statuses;
  Json old = ConfigMap();
  old["metadata"]["name"] = "old";
  old["metadata"]["labels"] = {{"app.kubernetes.io/managed-by", "warren"}, {"warren.io/source", "warren"}};
  kube_.Put("v1", "ConfigMap", old);
  kube_.Put("v1", "ConfigMap",
            {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "warren-inventory"}, {"namespace", "dev"}}},
             {"data", {{"objects", R"([{"apiVersion":"v1","kind":"ConfigMap","namespace":"dev","name":"old"}])"}}}});
  Start();
  ASSERT_EQ(converged_.get_future().wait_for(kWithin), std::future_status::ready);
  std::vector<std::string> sync = statuses.First(2, "warren/sync");
  ASSERT_EQ(sync.size(), 2u);
  EXPECT_EQ(sync[1],
            "c0ffee warren/sync success: in sync: 3 objects, 2 corrected; 1 object removed from git left in place: "
            "ConfigMap dev/old — prune is off");
  EXPECT_EQ(Metric("warren_orphaned_objects", {{"source", "warren"}, {"kind", "ConfigMap"}}), 1);
  EXPECT_FALSE(kube_.Stored("configmaps", "dev", "old").is_null());
  Stop();
  EXPECT_GE(Metric("warren_reconcile_total", {{"source", "warren"}, {"result", "success"}}), 1);
  EXPECT_EQ(Metric("warren_reconcile_total", {{"source", "warren"}, {"result", "failure"}}), 0);
  EXPECT_EQ(Metric("warren_reconcile_total", {{"source", "warren"}, {"result", "needs_action"}}), 0);
  // The commit's two creates are one Event on the inventory, not an Event per object. (The
  // Kubernetes lane may yet correct something it saw mid-sync: that has Events of its own.)
  auto events = kube_.Resolve("v1", "Event");
  auto got = kube_.List(events.value(), "dev", "");
  ASSERT_TRUE(got.ok());
  std::vector<Json> synced, applied;
  for (const Json& e : got.value()) {
    if (e["reason"] == "Synced") synced.push_back(e);
    if (e["reason"] == "Applied") applied.push_back(e);
  }
  ASSERT_EQ(synced.size(), 1u) << Json(got.value()).dump();
  EXPECT_TRUE(applied.empty()) << Json(applied).dump();
  EXPECT_EQ(synced[0]["involvedObject"]["name"], "warren-inventory");
  EXPECT_EQ(StringField(synced[0], "message"),
            "commit c0ffee: 2 created (ConfigMap dev/rabbitmq-config created, StatefulSet dev/rabbitmq created); 1 "
            "object removed from git left in place: ConfigMap dev/old — prune is off");
}

}  // namespace
}  // namespace warren::run
