// A Clock for tests of several threads: time moves only when the test calls Advance(), and a
// thread that sleeps or waits until a later time blocks (really) until then — or until it is
// stopped, or its condition holds. A test thus decides which timers fire, and everything else
// runs at full speed. (ManualClock, for one thread, moves time itself instead.)
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "agent/util/cancel.h"

namespace warren::testing {

class SteppedClock : public Clock {
 public:
  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  bool SleepFor(std::chrono::milliseconds d, const StopToken& stop) const override {
    std::unique_lock<std::mutex> lock(mu_);
    TimePoint until = now_ + d;
    ++sleeping_;
    asleep_.notify_all();
    // The stop has no way to notify this clock: looked at every millisecond of real time.
    while (now_ < until && !stop.stop_requested()) moved_.wait_for(lock, std::chrono::milliseconds(1));
    --sleeping_;
    return !stop.stop_requested();
  }
  bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint until,
                 const std::function<bool()>& done) const override {
    Waiter w{&cv, lock.mutex()};
    {
      std::lock_guard<std::mutex> l(mu_);
      waiters_.insert(w);
    }
    // Advance() notifies `cv` holding the waiter's mutex: a move between the check and the wait
    // is never lost.
    while (!done() && Now() < until) cv.wait(lock);
    {
      std::lock_guard<std::mutex> l(mu_);
      waiters_.erase(w);
    }
    return done();
  }
  std::string WallTimeMicros() const override { return "2030-01-01T00:00:00.000000Z"; }

  // Waits (real time, at most `timeout`) until `n` threads sleep in SleepFor: an Advance() after
  // that is sure to reach them.
  bool WaitForSleepers(int n, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    return asleep_.wait_for(lock, timeout, [&] { return sleeping_ >= n; });
  }

  void Advance(std::chrono::milliseconds d) const {
    std::set<Waiter> waiters;
    {
      std::lock_guard<std::mutex> lock(mu_);
      now_ += d;
      waiters = waiters_;
    }
    moved_.notify_all();
    for (const Waiter& w : waiters) {
      std::lock_guard<std::mutex> lock(*w.second);
      w.first->notify_all();
    }
  }

 private:
  using Waiter = std::pair<std::condition_variable*, std::mutex*>;
  mutable std::mutex mu_;
  mutable std::condition_variable moved_, asleep_;
  mutable int sleeping_ = 0;
  mutable TimePoint now_{};
  mutable std::set<Waiter> waiters_;
};

}  // namespace warren::testing
