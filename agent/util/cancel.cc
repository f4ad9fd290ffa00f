#include "agent/util/cancel.h"

#include <ctime>
#include <string>

namespace warren {

struct StopSource::State {
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  std::vector<std::weak_ptr<State>> children;
};

namespace {

void Stop(const std::shared_ptr<StopSource::State>& s) {
  std::vector<std::weak_ptr<StopSource::State>> children;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->stopped) return;
    s->stopped = true;
    children.swap(s->children);
  }
  s->cv.notify_all();
  for (auto& w : children)
    if (auto c = w.lock()) Stop(c);
}

}  // namespace

StopSource::StopSource() : state_(std::make_shared<State>()) {}

void StopSource::RequestStop() { Stop(state_); }

bool StopSource::stop_requested() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stopped;
}

StopToken StopSource::token() const { return StopToken(state_); }

StopSource StopSource::Child() const {
  auto child = std::make_shared<State>();
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->stopped) {
      // Drop the children that are gone so a long-lived parent does not grow.
      std::erase_if(state_->children, [](const std::weak_ptr<State>& w) { return w.expired(); });
      state_->children.push_back(child);
      return StopSource(child);
    }
  }
  child->stopped = true;
  return StopSource(child);
}

bool StopToken::stop_requested() const {
  if (!state_) return false;
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stopped;
}

bool StopToken::WaitFor(std::chrono::milliseconds d) const {
  if (!state_) {
    std::mutex mu;
    std::unique_lock<std::mutex> lock(mu);
    std::condition_variable().wait_for(lock, d);
    return true;
  }
  std::unique_lock<std::mutex> lock(state_->mu);
  return !state_->cv.wait_for(lock, d, [&] { return state_->stopped; });
}

namespace {

class RealClock : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  bool SleepFor(std::chrono::milliseconds d, const StopToken& stop) const override { return stop.WaitFor(d); }
  bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint until,
                 const std::function<bool()>& done) const override {
    return cv.wait_until(lock, until, done);
  }
};

}  // namespace

std::string UtcTimestamp(int fraction_digits) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  long micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  if (fraction_digits == 0)
    std::snprintf(out, sizeof out, "%sZ", buf);
  else if (fraction_digits == 6)
    std::snprintf(out, sizeof out, "%s.%06ldZ", buf, micros);
  else
    std::snprintf(out, sizeof out, "%s.%03ldZ", buf, micros / 1000);
  return out;
}

std::string Clock::WallTimeMicros() const { return UtcTimestamp(6); }

const Clock& Clock::Real() {
  static const RealClock clock;
  return clock;
}

}  // namespace warren
