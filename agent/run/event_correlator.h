// What Kubernetes' own event recorder (client-go's EventCorrelator) does before an Event reaches
// the API server, so that a flapping object cannot flood it:
//   - spam filter: per object and reason, a token bucket (a burst of 25, then one Event every
//     5 minutes); what is over the limit is dropped;
//   - aggregation: once 10 Events with different messages arrive for the same object, type and
//     reason within 10 minutes, the rest become one Event "(combined from similar events): …";
//   - deduplication: an Event equal to one already sent (same object, type, reason, message)
//     updates that Event's count and lastTimestamp instead of creating another.
// Pure, with the time passed in; bounded to `max_keys` remembered keys (the oldest go first).
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>

namespace warren::run {

struct EventCorrelatorOptions {
  int burst = 25;
  std::chrono::seconds refill{300};  // one token back per refill
  int similar_max = 10;              // distinct messages before aggregating
  std::chrono::seconds similar_window{600};
  size_t max_keys = 4096;
};

struct EventIdentity {
  std::string object;  // apiVersion/kind/namespace/name of the involved object
  std::string type, reason, message;
};

struct EventDecision {
  enum Kind { kDrop, kCreate, kUpdate } kind = kCreate;
  std::string message;  // what to send (the aggregate's text once aggregating)
  std::string name;     // kUpdate: the Event to update
  int count = 1;        // kUpdate: its new count
};

class EventCorrelator {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit EventCorrelator(EventCorrelatorOptions options = {}) : o_(options) {}

  EventDecision Correlate(const EventIdentity& e, TimePoint now);
  // The name the API server stored a kCreate under, for later updates (or "" when it failed).
  void Created(const EventIdentity& e, const std::string& sent_message, const std::string& name, TimePoint now);
  // The Event to update is gone (expired): the next equal one is created anew.
  void Forget(const EventIdentity& e, const std::string& sent_message);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint refilled{}, used{};
  };
  struct Similar {
    std::set<std::string> messages;
    TimePoint since{}, used{};
  };
  struct Sent {
    std::string name;
    int count = 0;
    TimePoint used{};
  };
  template <typename Map>
  void Bound(Map& m);

  EventCorrelatorOptions o_;
  std::map<std::string, Bucket> buckets_;   // object + reason
  std::map<std::string, Similar> similar_;  // object + type + reason
  std::map<std::string, Sent> sent_;        // object + type + reason + message
};

}  // namespace warren::run
