#include "agent/run/state_log.h"

namespace warren::run {

StateLog::Say StateLog::Observe(const std::string& condition, const std::string& state, TimePoint now) {
  auto [it, fresh] = entries_.try_emplace(condition);
  Entry& e = it->second;
  if (fresh) {
    e = Entry{state, now, now};
    return Say::kNew;
  }
  if (e.state != state) {
    e.state = state;
    e.said = now;
    return Say::kChanged;
  }
  if (now - e.said >= reminder_) {
    e.said = now;
    return Say::kReminder;
  }
  return Say::kQuiet;
}

bool StateLog::Clear(const std::string& condition) { return entries_.erase(condition) > 0; }

StateLog::TimePoint StateLog::Since(const std::string& condition, TimePoint now) const {
  auto it = entries_.find(condition);
  return it == entries_.end() ? now : it->second.since;
}

}  // namespace warren::run
