// Says a lasting condition once, not on every tick: a degraded broker, an unusable source, a
// failing reconcile. The caller reports the condition's state on each tick; Observe() answers
// whether to log it now — when it begins or its state changes, and then as a reminder at most
// every `reminder` while it lasts. Clear() ends it (and says whether there was one, to log the
// recovery). Pure, with the time passed in; one instance per lane (not shared between threads).
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace warren::run {

class StateLog {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class Say { kQuiet, kNew, kChanged, kReminder };

  explicit StateLog(std::chrono::milliseconds reminder = std::chrono::minutes(5)) : reminder_(reminder) {}

  Say Observe(const std::string& condition, const std::string& state, TimePoint now);
  // True when `condition` was in effect.
  bool Clear(const std::string& condition);
  // Since when `condition` has been in effect (its first Observe), or now when it is not.
  TimePoint Since(const std::string& condition, TimePoint now) const;

 private:
  struct Entry {
    std::string state;
    TimePoint since{}, said{};
  };
  std::chrono::milliseconds reminder_;
  std::map<std::string, Entry> entries_;
};

}  // namespace warren::run
