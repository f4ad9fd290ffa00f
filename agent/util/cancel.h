// Cancellation and time for everything that waits: a StopSource says "stop", every StopToken
// copied from it sees it at once, and a Clock sleeps until a deadline or the stop, whichever
// comes first. A child source stops with its parent (the agent's shutdown stops each leadership
// term's writes) and can also be stopped on its own (a lost Lease stops only that term).
//
// A default-constructed StopToken never stops: one-shot commands pass it where no one cancels.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace warren {

class StopToken;

class StopSource {
 public:
  StopSource();
  void RequestStop();
  bool stop_requested() const;
  StopToken token() const;
  // A source that stops when this one does (or on its own).
  StopSource Child() const;

  struct State;

 private:
  explicit StopSource(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

class StopToken {
 public:
  StopToken() = default;
  bool stop_requested() const;
  // Waits up to `d`; returns false when the stop came first (or had already come).
  bool WaitFor(std::chrono::milliseconds d) const;

 private:
  friend class StopSource;
  explicit StopToken(std::shared_ptr<StopSource::State> s) : state_(std::move(s)) {}
  std::shared_ptr<StopSource::State> state_;
};

// Time, injectable: the agent's waits, backoffs and Lease expiry read it, tests may replace it.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Sleeps `d` unless stopped first; false when stopped.
  virtual bool SleepFor(std::chrono::milliseconds d, const StopToken& stop) const = 0;
  // Waits on `cv` (`lock` held, as for std::condition_variable) until `done` holds or this clock
  // reaches `until`; returns done(). Whoever makes `done` true notifies `cv`.
  virtual bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint until,
                         const std::function<bool()>& done) const = 0;
  // Wall-clock time as RFC 3339 with microseconds (Lease renewTime, Event timestamps).
  virtual std::string WallTimeMicros() const;

  static const Clock& Real();
};

// The wall-clock time now in UTC, RFC 3339 with 0 (metav1.Time), 3 (log lines) or 6 (MicroTime)
// fraction digits.
std::string UtcTimestamp(int fraction_digits);

}  // namespace warren
