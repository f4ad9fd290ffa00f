#include "agent/run/event_correlator.h"

#include <algorithm>

namespace warren::run {
namespace {

constexpr const char* kCombined = "(combined from similar events): ";

std::string Join(std::initializer_list<const std::string*> parts) {
  std::string out;
  for (const std::string* p : parts) out += *p + '\x1f';
  return out;
}

}  // namespace

template <typename Map>
void EventCorrelator::Bound(Map& m) {
  while (m.size() > o_.max_keys) {
    auto oldest = std::min_element(m.begin(), m.end(),
                                   [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    m.erase(oldest);
  }
}

EventDecision EventCorrelator::Correlate(const EventIdentity& e, TimePoint now) {
  EventDecision d;
  // The spam filter first: what it drops leaves no trace in the counts below.
  std::string spam_key = Join({&e.object, &e.reason});
  auto [b, fresh] = buckets_.try_emplace(spam_key);
  Bucket& bucket = b->second;
  if (fresh) {
    bucket.tokens = o_.burst;
    bucket.refilled = now;
  } else if (o_.refill.count() > 0) {
    auto periods = (now - bucket.refilled) / o_.refill;
    if (periods > 0) {
      bucket.tokens = std::min<double>(o_.burst, bucket.tokens + static_cast<double>(periods));
      bucket.refilled += periods * o_.refill;
    }
  }
  bucket.used = now;
  Bound(buckets_);
  if (bucket.tokens < 1) {
    d.kind = EventDecision::kDrop;
    return d;
  }
  bucket.tokens -= 1;

  // Aggregation: many different messages for one object and reason become one Event.
  std::string similar_key = Join({&e.object, &e.type, &e.reason});
  Similar& similar = similar_[similar_key];
  if (similar.messages.empty() || now - similar.since > o_.similar_window) {
    similar.messages.clear();
    similar.since = now;
  }
  similar.used = now;
  similar.messages.insert(e.message);
  d.message = e.message;
  std::string dedupe_message = e.message;
  if (static_cast<int>(similar.messages.size()) >= o_.similar_max) {
    d.message = kCombined + e.message;
    dedupe_message = kCombined;  // every later one updates the same aggregate Event
  }
  Bound(similar_);

  std::string sent_key = Join({&e.object, &e.type, &e.reason, &dedupe_message});
  auto it = sent_.find(sent_key);
  if (it != sent_.end() && !it->second.name.empty()) {
    it->second.count += 1;
    it->second.used = now;
    d.kind = EventDecision::kUpdate;
    d.name = it->second.name;
    d.count = it->second.count;
  }
  return d;
}

void EventCorrelator::Created(const EventIdentity& e, const std::string& sent_message, const std::string& name,
                              TimePoint now) {
  std::string dedupe_message = sent_message.rfind(kCombined, 0) == 0 ? std::string(kCombined) : sent_message;
  std::string key = Join({&e.object, &e.type, &e.reason, &dedupe_message});
  sent_[key] = Sent{name, 1, now};
  Bound(sent_);
}

void EventCorrelator::Forget(const EventIdentity& e, const std::string& sent_message) {
  std::string dedupe_message = sent_message.rfind(kCombined, 0) == 0 ? std::string(kCombined) : sent_message;
  sent_.erase(Join({&e.object, &e.type, &e.reason, &dedupe_message}));
}

}  // namespace warren::run
