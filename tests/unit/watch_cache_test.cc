// The watch cache on the fake API and a stepped clock: a watch that fails is counted, waits its
// backoff on the clock, lists again (counted as a relist) and serves the live state again.
#include "agent/run/watch_cache.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>

#include "tests/support/fake_kube.h"
#include "tests/support/stepped_clock.h"

namespace warren::run {
namespace {

using std::chrono::milliseconds;
using testing::FakeKube;
using testing::SteppedClock;

TEST(WatchCache, AFailedWatchIsCountedWaitsItsBackoffAndRelists) {
  FakeKube kube;
  SteppedClock clock;
  Json cm = Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app","namespace":"dev",
    "labels":{"app.kubernetes.io/managed-by":"warren"}},"data":{"a":"1"}})");
  ASSERT_TRUE(kube.Apply(cm, {}).ok());

  std::mutex mu;
  std::condition_variable seen;
  int synced = 0, relists = 0;
  std::map<std::string, int> restarts;
  auto count = [&](auto f) {
    std::lock_guard<std::mutex> lock(mu);
    f();
    seen.notify_all();
  };
  auto until = [&](auto done) {
    std::unique_lock<std::mutex> lock(mu);
    return seen.wait_for(lock, milliseconds(1000), done);
  };
  WatchCacheOptions o;
  o.label_selector = "app.kubernetes.io/managed-by=warren";
  o.clock = &clock;
  o.on_synced = [&] { count([&] { ++synced; }); };
  o.on_relist = [&](const std::string& kind) { count([&] { relists += kind == "ConfigMap"; }); };
  o.on_restart = [&](const std::string&, const std::string& reason) { count([&] { ++restarts[reason]; }); };
  StopSource stop;
  WatchCache cache(kube, o, stop);
  Object desired(cm, {"app.yaml"});
  cache.Track({desired});
  ASSERT_TRUE(until([&] { return synced == 1; }));
  EXPECT_EQ(relists, 0) << "the first list is no relist";

  kube.BreakWatches();
  ASSERT_TRUE(until([&] { return restarts["error"] == 1; }));
  EXPECT_FALSE(cache.Synced()) << "after a failure the cache reads from the API until it has listed again";
  ASSERT_TRUE(clock.WaitForSleepers(1, milliseconds(1000)));  // the stream, in its backoff
  clock.Advance(milliseconds(499));
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_FALSE(seen.wait_for(lock, milliseconds(50), [&] { return synced == 2; }))
        << "listed again before its backoff (500 ms) ended";
  }
  clock.Advance(milliseconds(1));
  ASSERT_TRUE(until([&] { return synced == 2 && relists == 1; }));
  EXPECT_TRUE(cache.Synced());
  auto live = cache.Live({desired});
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live.value().size(), 1u);
  EXPECT_EQ(live.value()[0].doc()["data"]["a"], "1");
  cache.Stop();
}

}  // namespace
}  // namespace warren::run
