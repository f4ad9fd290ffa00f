// The live state of a source's Kubernetes objects, kept by watches instead of reads: one watch per
// (resource, namespace) the desired set uses, selected by warren's ownership labels, resumed from
// its last resourceVersion when the server ends it, relisted after 410 Expired. An idle cluster
// costs one long-lived request per watch, nothing else.
//
// Live() answers from the cache once every watch it needs has listed; before that (or while a
// watch is failing) it reads from the API server instead, so an answer is never stale-by-guess.
// Every change seen after the first list calls on_change, and every (re)list on_synced: the agent
// re-checks for drift at once (a change made before a list shows only in the list).
//
// Threads: one thread per watch stream, owned by the cache and joined by Stop() or the destructor.
// Track(), Live(), Synced() and Stop() may be called from any thread; the streams' objects are
// guarded by mu_. The callbacks in WatchCacheOptions run on the stream threads, never under mu_.
// Ownership: the client is borrowed and must outlive the cache.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/kube/client.h"
#include "agent/reconcile/reconcile.h"
#include "agent/util/cancel.h"

namespace warren::run {

struct WatchCacheOptions {
  std::string label_selector;  // e.g. app.kubernetes.io/managed-by=warren,warren.io/source=warren
  int watch_seconds = 300;     // each watch request's timeoutSeconds (then resumed)
  std::function<void(const std::string& type, const ResourceKey& key)> on_change;
  // After each (re)list: what changed before it arrived as a plain list item, so look again.
  std::function<void()> on_synced;
  std::function<void(const std::string& what, const Status& error)> on_error;
  // For /metrics: each list of a stream after its first (its history expired, 410, or it failed),
  // and each watch request that ended ("ended": the server closed it, resumed; "error": it failed).
  std::function<void(const std::string& kind)> on_relist;
  std::function<void(const std::string& kind, const std::string& reason)> on_restart;
  const Clock* clock = nullptr;  // the re-watch backoff (default: the real clock)
};

class WatchCache : public reconcile::LiveKube {
 public:
  // Stops with `parent` (or Stop()).
  WatchCache(kube::Api& client, WatchCacheOptions options, const StopSource& parent);
  ~WatchCache() override;
  WatchCache(const WatchCache&) = delete;
  WatchCache& operator=(const WatchCache&) = delete;

  // Watches what `desired` needs (starting new watches, keeping the rest running). Kinds the
  // cluster does not serve are skipped: Live() then reads them from the API (and reports why).
  void Track(const std::vector<Object>& desired);
  Result<std::vector<Object>> Live(const std::vector<Object>& desired) override;
  // True when every tracked watch has listed (tests, readiness).
  bool Synced() const;
  void Stop();

 private:
  struct Stream {
    kube::ResourceInfo resource;
    std::string ns;
    bool synced = false;
    std::map<ResourceKey, Object> objects;  // Live() hands out copies that share each document
    std::thread thread;
  };
  using StreamKey = std::pair<std::string, std::string>;  // (group/resource, namespace)
  void RunStream(Stream* s);

  kube::Api& client_;
  WatchCacheOptions o_;
  StopSource stop_;
  mutable std::mutex mu_;
  std::map<StreamKey, std::unique_ptr<Stream>> streams_;
};

}  // namespace warren::run
