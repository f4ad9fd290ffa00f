// The Kubernetes stage's writes on the fake API (agent/reconcile/kube_stage.h): within a stage up
// to `concurrency` applies are in flight at once — shown with a gate that holds each apply until
// that many have arrived, never with timing — and a failure stops the stages after it exactly as
// one at a time would, the report keeping the stage's order.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "agent/reconcile/kube_stage.h"
#include "diff/engine/diff.h"
#include "tests/support/fake_kube.h"

namespace warren::reconcile {
namespace {

using testing::FakeKube;

Object Cm(int i) {
  return Owned(Object(Json{{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", "cm-" + std::to_string(i)}, {"namespace", "dev"}}},
                           {"data", {{"k", "v"}}}},
                      SourceLocation{"cm.yaml"}),
               "warren");
}

Object Sts() {
  return Owned(Object(Json::parse(R"({"apiVersion":"apps/v1","kind":"StatefulSet",
    "metadata":{"name":"rabbitmq","namespace":"dev"},
    "spec":{"replicas":1,"serviceName":"rabbitmq","selector":{"matchLabels":{"app":"rabbitmq"}},
      "template":{"metadata":{"labels":{"app":"rabbitmq"}},"spec":{"containers":[{"name":"r","image":"busybox"}]}}}})"),
                      SourceLocation{"sts.yaml"}),
               "warren");
}

// Holds every ConfigMap apply until `want` are in flight together (or a second of real time has
// passed), and remembers the most ever in flight.
class InFlightGate {
 public:
  explicit InFlightGate(int want) : want_(want) {}
  void Enter(const Json& obj) {
    if (StringField(obj, "kind") != "ConfigMap" || StringField(Field(obj, "metadata"), "name") == "warren-inventory")
      return;
    std::unique_lock<std::mutex> lock(mu_);
    ++in_flight_;
    most_ = std::max(most_, in_flight_);
    if (most_ >= want_) cv_.notify_all();
    cv_.wait_for(lock, std::chrono::seconds(1), [&] { return most_ >= want_; });
    --in_flight_;
  }
  int most() const {
    std::lock_guard<std::mutex> lock(mu_);
    return most_;
  }

 private:
  const int want_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0, most_ = 0;
};

diff::ApplyReport Apply(FakeKube& kube, const std::vector<Object>& desired, int concurrency) {
  KubeStageOptions o;
  o.inventory_namespace = "dev";
  o.wait_ready = false;
  o.concurrency = concurrency;
  return ApplyKubernetes(kube, desired, {}, diff::Diff(desired, {}), o, StopToken());
}

TEST(KubeStage, UpToConcurrencyAppliesOfAStageAreInFlightAtOnce) {
  FakeKube kube;
  InFlightGate gate(4);
  kube.before_apply = [&](const Json& obj) { gate.Enter(obj); };
  std::vector<Object> desired;
  for (int i = 0; i < 12; ++i) desired.push_back(Cm(i));
  diff::ApplyReport r = Apply(kube, desired, 4);
  EXPECT_EQ(gate.most(), 4) << "never more than the limit, and as many as it allows";
  ASSERT_EQ(r.results.size(), 12u);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(r.results[i].object.key.name, "cm-" + std::to_string(i)) << "the stage's order, not completion order";
    EXPECT_EQ(r.results[i].outcome, diff::Outcome::kCreated);
  }
  EXPECT_TRUE(kube.Stored("configmaps", "dev", "warren-inventory").is_object());
}

// Limit 1: one at a time, on the caller's own thread, as before there was a limit.
TEST(KubeStage, OneAtATimeWhenTheLimitIsOne) {
  FakeKube kube;
  std::mutex mu;
  std::set<std::thread::id> threads;
  kube.before_apply = [&](const Json&) {
    std::lock_guard<std::mutex> lock(mu);
    threads.insert(std::this_thread::get_id());
  };
  diff::ApplyReport r = Apply(kube, {Cm(0), Cm(1), Cm(2)}, 1);
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
  EXPECT_EQ(r.Count(diff::Outcome::kCreated), 3u);
}

// A refused ConfigMap: the rest of its stage is applied (as one at a time would), the
// StatefulSet stage after it is not, and the failed create is not recorded as warren's.
TEST(KubeStage, AFailureStopsTheStagesAfterItsOwn) {
  FakeKube kube;
  kube.Refuse("ConfigMap", "cm-2", "data: too long");
  std::vector<Object> desired = {Sts()};
  for (int i = 0; i < 6; ++i) desired.push_back(Cm(i));
  diff::ApplyReport r = Apply(kube, desired, 8);
  EXPECT_EQ(r.Count(diff::Outcome::kCreated), 5u);
  EXPECT_EQ(r.Count(diff::Outcome::kFailed), 1u);
  EXPECT_EQ(r.Count(diff::Outcome::kSkipped), 1u);
  EXPECT_TRUE(kube.Stored("statefulsets.apps", "dev", "rabbitmq").is_null());
  std::string inventory = StringField(Field(kube.Stored("configmaps", "dev", "warren-inventory"), "data"), "objects");
  EXPECT_EQ(inventory.find("cm-2"), std::string::npos) << inventory;
  EXPECT_NE(inventory.find("cm-5"), std::string::npos) << inventory;
}

}  // namespace
}  // namespace warren::reconcile
