// The emulator's storage: objects by resource, namespace and name, one resourceVersion counter
// (etcd's revision), and a bounded history of change events for watches. Older history is
// compacted away, so a watch from a resourceVersion before it gets 410 Expired, as from etcd.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/emulator/resources.h"

namespace emulator {

struct Event {
  long long rv;
  std::string type;  // ADDED, MODIFIED, DELETED
  const Resource* resource;
  Json object;
};

class Store {
 public:
  explicit Store(size_t history = 5000) : history_(history) {}

  // All members expect the caller to hold mu().
  std::mutex& mu() { return mu_; }
  std::optional<Json> Get(const Resource& r, const std::string& ns, const std::string& name) const;
  std::vector<Json> List(const Resource& r, const std::string& ns) const;  // ns "" = all
  // Stores the object with a new resourceVersion and records the event; returns the stored object.
  Json Put(const Resource& r, Json obj);
  void Remove(const Resource& r, const std::string& ns, const std::string& name);
  // Forgets every object and the change history (a test program's next test starts empty);
  // resourceVersions go on rising, and a watch from before answers 410 Gone on resume.
  void Clear();

  long long rv() const { return rv_; }
  long long oldest_rv() const { return history_start_; }
  // Events after `rv`, in order.
  std::vector<Event> EventsAfter(long long rv) const;
  // Waits (releasing the lock) until an event after `rv` exists or `timeout_ms` passes.
  void Wait(std::unique_lock<std::mutex>& lock, long long rv, int timeout_ms);

 private:
  static std::string Key(const Resource& r, const std::string& ns, const std::string& name);
  void Record(Event e);

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Json> objects_;
  std::deque<Event> events_;
  size_t history_;
  long long rv_ = 1000;
  long long history_start_ = 1000;
};

}  // namespace emulator
