#include "tests/emulator/store.h"

#include <chrono>

namespace emulator {

std::string Store::Key(const Resource& r, const std::string& ns, const std::string& name) {
  return r.GroupVersion() + "/" + r.name + "/" + ns + "/" + name;
}

std::optional<Json> Store::Get(const Resource& r, const std::string& ns, const std::string& name) const {
  auto it = objects_.find(Key(r, ns, name));
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<Json> Store::List(const Resource& r, const std::string& ns) const {
  std::vector<Json> out;
  std::string prefix = r.GroupVersion() + "/" + r.name + "/" + (ns.empty() ? "" : ns + "/");
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.rfind(prefix, 0) == 0; ++it)
    out.push_back(it->second);
  return out;
}

Json Store::Put(const Resource& r, Json obj) {
  ++rv_;
  obj["metadata"]["resourceVersion"] = std::to_string(rv_);
  const Json& m = obj["metadata"];
  std::string key = Key(r, m.value("namespace", ""), m.value("name", ""));
  bool exists = objects_.count(key) > 0;
  objects_[key] = obj;
  Record({rv_, exists ? "MODIFIED" : "ADDED", &r, obj});
  return obj;
}

void Store::Remove(const Resource& r, const std::string& ns, const std::string& name) {
  auto it = objects_.find(Key(r, ns, name));
  if (it == objects_.end()) return;
  ++rv_;
  Json last = it->second;
  last["metadata"]["resourceVersion"] = std::to_string(rv_);
  objects_.erase(it);
  Record({rv_, "DELETED", &r, std::move(last)});
}

void Store::Clear() {
  objects_.clear();
  events_.clear();
  history_start_ = ++rv_;
  changed_.notify_all();
}

void Store::Record(Event e) {
  events_.push_back(std::move(e));
  while (events_.size() > history_) {
    history_start_ = events_.front().rv;
    events_.pop_front();
  }
  changed_.notify_all();
}

std::vector<Event> Store::EventsAfter(long long rv) const {
  std::vector<Event> out;
  for (auto it = events_.rbegin(); it != events_.rend() && it->rv > rv; ++it) out.push_back(*it);
  return {out.rbegin(), out.rend()};
}

void Store::Wait(std::unique_lock<std::mutex>& lock, long long rv, int timeout_ms) {
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return rv_ > rv; });
}

}  // namespace emulator
