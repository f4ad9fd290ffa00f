// Leader election with a coordination.k8s.io/v1 Lease, as client-go's LeaseLock does it: the
// holder renews every third of the lease duration with a resourceVersion-checked PUT; a follower
// takes over only when the record has not changed for a whole lease duration *by its own clock*
// (the holder's renewTime is not trusted: clocks differ); a lost race is a 409 and the next round
// reads again. A leader that cannot renew within two thirds of the duration stops leading before
// the Lease can expire, so two replicas never write at once. Release() hands the Lease back
// (empty holder, duration 1 s) so a successor need not wait. The holder also writes where it can be
// reached, so a follower that receives a webhook hands it to the leader.
//
// Threads: Run() on one thread; TryAcquireOrRenew() is Run()'s round, public for tests. Time is
// LeaderOptions::clock's (a manual one in tests). The client is borrowed.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "agent/kube/api.h"
#include "agent/util/cancel.h"

namespace warren::run {

struct LeaderOptions {
  std::string name = "warren";
  std::string ns = "default";
  std::string identity;  // unique per replica (pod name + random suffix)
  std::chrono::milliseconds duration{15000};
  const Clock* clock = nullptr;
  std::function<void(const std::string& msg, const std::string& detail)> log;  // state changes
  // Where the other replicas reach this one (http://10.0.0.7:8080), written in the Lease while
  // leading so a follower can hand webhooks on; "" = not written.
  std::string advertise_url;
  // Called with the current leader's advertised URL whenever it changes as seen by this replica:
  // "" while this replica leads, when no one does, or when the leader advertises none.
  std::function<void(const std::string& url)> on_leader_url;
};

// The Lease annotation that carries the leader's advertised URL.
inline constexpr const char* kLeaderUrlAnnotation = "warren.io/leader-url";

class LeaderElector {
 public:
  LeaderElector(kube::Api& client, LeaderOptions options);

  // Tries to acquire and then renew until `stop`; calls on_change(true) on becoming leader and
  // on_change(false) on losing it (also when stopped while leading). Does not release.
  void Run(const StopToken& stop, const std::function<void(bool leading)>& on_change);
  // Gives the Lease up if this replica holds it (after the writes have stopped), through
  // `client` (one that is not stopped by then).
  Status Release(kube::Api& client);

  // One round: acquire or renew. True when this replica holds the Lease afterwards.
  Result<bool> TryAcquireOrRenew();

 private:
  Json Record(const Json* old, bool taking_over) const;

  kube::Api& client_;
  LeaderOptions o_;
  const Clock& clock_;
  // The record as last seen, and when (by our clock) it last changed.
  std::string observed_holder_, observed_rv_, observed_renew_;
  Clock::TimePoint observed_at_{};
  bool leading_ = false;
  std::string leader_url_;  // as last passed to on_leader_url

  void SeeLeaderUrl(const std::string& url);
};

// "<hostname>_<8 hex>": a pod's hostname is its name; the suffix tells restarts apart.
std::string DefaultIdentity();

}  // namespace warren::run
