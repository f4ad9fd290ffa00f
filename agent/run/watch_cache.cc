#include "agent/run/watch_cache.h"

#include <random>

#include "agent/kube/live_state.h"

namespace warren::run {
namespace {

ResourceKey KeyOf(const kube::ResourceInfo& r, const Json& obj) {
  const Json& meta = Field(obj, "metadata");
  return ResourceKey{r.group, r.kind, StringField(meta, "namespace"), StringField(meta, "name")};
}

}  // namespace

WatchCache::WatchCache(kube::Api& client, WatchCacheOptions options, const StopSource& parent)
    : client_(client), o_(std::move(options)), stop_(parent.Child()) {}

WatchCache::~WatchCache() { Stop(); }

void WatchCache::Stop() {
  stop_.RequestStop();
  std::map<StreamKey, std::unique_ptr<Stream>> streams;
  {
    std::lock_guard<std::mutex> lock(mu_);
    streams.swap(streams_);
  }
  for (auto& [k, s] : streams)
    if (s->thread.joinable()) s->thread.join();
}

void WatchCache::Track(const std::vector<Object>& desired) {
  for (const Object& o : desired) {
    auto r = client_.Resolve(o.api_version(), o.kind());
    if (!r.ok()) continue;  // Live() reads it from the API and says what is wrong
    std::string ns = r.value().namespaced ? o.ns() : "";
    StreamKey key{r.value().Qualified(), ns};
    std::lock_guard<std::mutex> lock(mu_);
    if (streams_.count(key) || stop_.stop_requested()) continue;
    auto s = std::make_unique<Stream>();
    s->resource = r.value();
    s->ns = ns;
    Stream* raw = s.get();
    streams_[key] = std::move(s);
    raw->thread = std::thread([this, raw] { RunStream(raw); });
  }
}

void WatchCache::RunStream(Stream* s) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  auto client = client_.Stoppable(stop_.token());
  kube::WatchRequest w;
  w.ns = s->ns;
  w.label_selector = o_.label_selector;
  int lists = 0;
  w.on_relist = [&] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      s->synced = false;
      s->objects.clear();
    }
    if (lists++ > 0 && o_.on_relist) o_.on_relist(s->resource.kind);
  };
  w.on_synced = [&] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      s->synced = true;
    }
    if (o_.on_synced) o_.on_synced();
  };
  long backoff_ms = 500;
  while (!stop_.stop_requested()) {
    // Spread the re-watches as client-go does (between 1x and 2x), so they do not come in waves.
    w.timeout_seconds = o_.watch_seconds + std::uniform_int_distribution<int>(0, o_.watch_seconds)(rng);
    Status st = client->Watch(s->resource, w, [&](const std::string& type, const Json& obj) {
      ResourceKey key = KeyOf(s->resource, obj);
      bool notify;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (type == "DELETED")
          s->objects.erase(key);
        else {
          Json copy = obj;
          copy["apiVersion"] = s->resource.GroupVersion();
          copy["kind"] = s->resource.kind;
          s->objects[key] = Object(std::move(copy), SourceLocation{"(live)"});
        }
        notify = s->synced;
      }
      if (notify && o_.on_change) o_.on_change(type, key);
      return true;
    });
    if (st.code() == StatusCode::kCancelled) break;
    if (!st.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      s->synced = false;  // until a relist: Live() reads from the API meanwhile
    }
    if (o_.on_restart) o_.on_restart(s->resource.kind, st.ok() ? "ended" : "error");
    if (st.ok()) {
      backoff_ms = 500;
      continue;  // the server ended the watch: resume from where it stopped
    }
    w.resource_version.clear();
    if (o_.on_error) o_.on_error("watch " + s->resource.Qualified() + (s->ns.empty() ? "" : " in " + s->ns), st);
    if (!(o_.clock ? *o_.clock : Clock::Real()).SleepFor(std::chrono::milliseconds(backoff_ms), stop_.token())) break;
    backoff_ms = std::min(backoff_ms * 2, 30000L);
  }
}

bool WatchCache::Synced() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, s] : streams_)
    if (!s->synced) return false;
  return !streams_.empty();
}

Result<std::vector<Object>> WatchCache::Live(const std::vector<Object>& desired) {
  std::vector<Object> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool complete = true;
    for (const Object& o : desired) {
      const Stream* found = nullptr;
      for (const auto& [k, s] : streams_)
        if (s->resource.group == o.group() && s->resource.kind == o.kind() && (s->ns.empty() || s->ns == o.ns()))
          found = s.get();
      if (!found || !found->synced || found->resource.GroupVersion() != o.api_version()) {
        complete = false;
        break;
      }
      auto it = found->objects.find(o.key());
      if (it != found->objects.end()) out.push_back(it->second);
    }
    if (complete) return out;
  }
  return kube::FetchLive(client_, desired);
}

}  // namespace warren::run
