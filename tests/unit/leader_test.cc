// Leader election on the fake API and a manual clock: who leads, when a follower may take over,
// when a leader that cannot renew stops writing, and the hand-over on release. Milliseconds, no
// sleeps; agent_test keeps the end-to-end case with two processes on the emulator.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "agent/run/leader.h"
#include "tests/support/fake_kube.h"
#include "tests/support/manual_clock.h"

namespace warren::run {
namespace {

using std::chrono::seconds;
using testing::FakeKube;
using testing::ManualClock;

class Leader : public ::testing::Test {
 protected:
  LeaderOptions Options(const std::string& identity) {
    LeaderOptions o;
    o.name = "warren";
    o.ns = "warren";
    o.identity = identity;
    o.duration = seconds(15);
    o.clock = &clock_;
    o.advertise_url = "http://" + identity + ":8080";
    return o;
  }
  Json Lease() {
    auto r = api_.Resolve("coordination.k8s.io/v1", "Lease");
    auto got = api_.Get(r.value(), "warren", "warren");
    return got.ok() && got.value() ? *got.value() : Json();
  }
  std::string Holder() { return StringField(Field(Lease(), "spec"), "holderIdentity"); }
  bool Round(LeaderElector& e) {
    auto r = e.TryAcquireOrRenew();
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() && r.value();
  }

  FakeKube api_;
  ManualClock clock_;
};

TEST_F(Leader, AFollowerTakesOverOnlyAfterTheRecordStoodStillForAWholeDuration) {
  std::vector<std::string> urls;
  LeaderOptions bo = Options("b");
  bo.on_leader_url = [&](const std::string& url) { urls.push_back(url); };
  LeaderElector a(api_, Options("a")), b(api_, bo);
  EXPECT_TRUE(Round(a));
  EXPECT_FALSE(Round(b));
  EXPECT_EQ(urls, std::vector<std::string>{"http://a:8080"}) << "the follower learns where the leader listens";
  clock_.Advance(seconds(14));
  EXPECT_FALSE(Round(b)) << "unchanged for 14 s of a 15 s Lease";
  EXPECT_TRUE(Round(a));  // renewed: the record changed, whatever its renewTime says
  clock_.Advance(seconds(10));
  EXPECT_FALSE(Round(b)) << "counted from when b saw it change, not from the first look";
  clock_.Advance(seconds(6));
  EXPECT_FALSE(Round(b)) << "unchanged for only 6 s since b saw the renewal";
  clock_.Advance(seconds(10));
  EXPECT_TRUE(Round(b)) << "a said nothing for a whole duration";
  EXPECT_EQ(Holder(), "b");
  EXPECT_EQ(Field(Lease(), "spec")["leaseTransitions"], 1);
  EXPECT_FALSE(Round(a)) << "the old leader finds b holding it";
  EXPECT_EQ(urls.back(), "") << "while b leads, it hands webhooks to no one";
}

TEST_F(Leader, ALeaderThatCannotRenewStopsBeforeTheLeaseCanExpire) {
  LeaderElector a(api_, Options("a"));
  StopSource stop;
  Clock::TimePoint became{}, renewed{}, lost{};
  int rounds_at_lead = 0;
  a.Run(stop.token(), [&](bool leading) {
    if (leading) {
      became = clock_.Now();
      rounds_at_lead = api_.requests();
      api_.FailNext(-1);  // the API server is gone from now on
    } else {
      lost = clock_.Now();
      stop.RequestStop();
    }
  });
  renewed = became;  // the last good renewal was the one that made it leader
  ASSERT_NE(lost, Clock::TimePoint{});
  EXPECT_GE(lost - renewed, seconds(10)) << "two thirds of the duration are given to renewing";
  EXPECT_LT(lost - renewed, seconds(15)) << "stopped before a follower could take over";
  EXPECT_GT(rounds_at_lead, 0);
}

TEST_F(Leader, AWriteThatLosesARaceIsAConflictNotAnError) {
  LeaderElector a(api_, Options("a"));
  EXPECT_TRUE(Round(a));
  // c writes the Lease between a's read and a's renewal: a's resourceVersion is stale (409).
  api_.BeforeNextUpdate([&] {
    Json lease = Lease();
    lease["spec"]["holderIdentity"] = "c";
    ASSERT_TRUE(api_.Update(api_.Resolve("coordination.k8s.io/v1", "Lease").value(), "warren", lease).ok());
  });
  auto round = a.TryAcquireOrRenew();
  ASSERT_TRUE(round.ok()) << round.status().message();
  EXPECT_FALSE(round.value()) << "the next round reads again";
  EXPECT_EQ(Holder(), "c");
  EXPECT_FALSE(Round(a)) << "c's record is fresh";
}

TEST_F(Leader, ReleaseHandsTheLeaseOverAtOnce) {
  LeaderElector a(api_, Options("a")), b(api_, Options("b"));
  EXPECT_TRUE(Round(a));
  EXPECT_FALSE(Round(b));
  ASSERT_TRUE(a.Release(api_).ok());
  EXPECT_EQ(Holder(), "");
  EXPECT_TRUE(Round(b)) << "no wait for an empty holder";
  EXPECT_EQ(Holder(), "b");
  EXPECT_TRUE(a.Release(api_).ok()) << "releasing a Lease held by another changes nothing";
  EXPECT_EQ(Holder(), "b");
}

TEST_F(Leader, AnUnreachableServerIsAnErrorNotALostRace) {
  LeaderElector a(api_, Options("a"));
  api_.FailNext(1);
  auto round = a.TryAcquireOrRenew();
  ASSERT_FALSE(round.ok());
  EXPECT_EQ(round.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Round(a));
}

}  // namespace
}  // namespace warren::run
