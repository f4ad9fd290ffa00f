// A Clock that moves only when told: Now() stands still until Advance() or a SleepFor(), which
// returns at once having moved time on by what was asked. Loops that wait run in microseconds,
// and a test decides exactly how much time has passed. Safe to share between threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

#include "agent/util/cancel.h"

namespace warren::testing {

class ManualClock : public Clock {
 public:
  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return TimePoint{} + elapsed_;
  }
  bool SleepFor(std::chrono::milliseconds d, const StopToken& stop) const override {
    if (stop.stop_requested()) return false;
    Advance(d);
    return !stop.stop_requested();
  }
  // Single-threaded use: when `done` does not hold, time moves on to `until` at once.
  bool WaitUntil(std::condition_variable&, std::unique_lock<std::mutex>&, TimePoint until,
                 const std::function<bool()>& done) const override {
    if (done()) return true;
    std::lock_guard<std::mutex> lock(mu_);
    if (TimePoint{} + elapsed_ < until)
      elapsed_ = std::chrono::duration_cast<std::chrono::microseconds>(until - TimePoint{});
    return false;
  }
  // 2030-01-01T00:00:00Z plus the time passed, with microseconds: a new value whenever time moved.
  std::string WallTimeMicros() const override {
    long long us = std::chrono::duration_cast<std::chrono::microseconds>(Now() - TimePoint{}).count();
    long long s = us / 1000000;
    char out[40];
    std::snprintf(out, sizeof out, "2030-01-%02lldT%02lld:%02lld:%02lld.%06lldZ", 1 + s / 86400, s / 3600 % 24,
                  s / 60 % 60, s % 60, us % 1000000);
    return out;
  }
  void Advance(std::chrono::milliseconds d) const {
    std::lock_guard<std::mutex> lock(mu_);
    elapsed_ += d;
  }

 private:
  mutable std::mutex mu_;
  mutable std::chrono::microseconds elapsed_{0};
};

}  // namespace warren::testing
