// WarrenSource objects as sources: watched, each run by a SourceLoop of its own while it exists.
//   created          → a loop starts (its status: Reconciling, Ready Unknown);
//   spec changed     → (a new metadata.generation) the loop is stopped and started anew;
//   reconcile asked  → (a new warren.io/reconcile-requested-at) the loop fetches and applies in
//                      full at once, and status.lastHandledReconcileAt says so;
//   suspended        → the loop runs as a dry run: drift is reported, nothing written;
//   deleted          → the loop stops; with prune: true, the object carries the finalizer
//                      warren.io/prune, and its Kubernetes objects (the inventory's) are pruned
//                      before the finalizer goes (as the source's account; a failure keeps the
//                      finalizer and says so, and is tried again at the next event or relist).
//                      The broker's topology stays: deleting queues would lose their messages.
// A spec the agent cannot run (a bad duration, an unsupported provider) gets Ready False and
// Stalled True naming the field, until the object changes. Each loop's Kubernetes requests are
// made as the object's serviceAccountName when it names one (impersonation), so the API
// server's RBAC bounds that source; the agent's own rights read the objects, their Secrets and
// write their status. Secrets (git credentials, RabbitMQ credentials) are read at every poll and
// connect, written to files only the agent can read, for the clients that read files; a source
// with commitStatus posts its commits' statuses with its own token (read when it starts).
//
// Threads: Run() watches on the calling thread until the term stops, then stops and joins every
// loop. ForEach() may be called from any thread (the webhook listener).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/kube/api.h"
#include "agent/run/source_loop.h"
#include "agent/run/warren_source.h"

namespace warren::run {

struct SourceControllerOptions {
  std::string ns;         // "" = WarrenSources of every namespace
  std::string state_dir;  // git caches and credential files of these sources
  SourceSpec defaults;    // the agent's settings, under each object's own
};

// The client a source's requests go through: impersonating `user`, or as the agent when "".
using ClientFor = std::function<std::unique_ptr<kube::Api>(const std::string& user)>;

class SourceController {
 public:
  // `ctx.kube` (the agent's own client) must be set; the other members are handed to every loop.
  SourceController(SourceControllerOptions options, SourceContext ctx, ClientFor client_for);
  ~SourceController();

  void Run(const StopSource& term);
  void ForEach(const std::function<void(SourceLoop&)>& fn);
  size_t running() const;

 private:
  struct Running;
  class StatusWriter;
  void Apply(const Json& obj, const StopSource& term);
  void Stop(const std::string& key);
  void StopAll();
  // Writes `status` for a source that runs no loop (a spec it cannot run, a failed prune), unless
  // the object already says it.
  void SayStatus(const Json& obj, const Json& status, const StopToken& stop);
  // Adds or removes warren.io/prune as `prune` says; a write of metadata only (no new generation).
  void KeepFinalizer(const Json& obj, bool prune, const StopToken& stop);
  // A deleted object: its objects pruned when it said so, then the finalizer removed.
  void Finalize(const Json& obj, const StopSource& term);
  // The source's Secrets, written where DecodeWarrenSource pointed its clients.
  Status WriteGitCredentials(const WarrenSource& w);
  Status WriteRabbitCredentials(const WarrenSource& w);
  Status WriteForgeToken(const WarrenSource& w);  // read once, when the source starts
  Result<std::map<std::string, std::string>> ReadSecret(const std::string& ns, const std::string& name);

  SourceControllerOptions options_;
  SourceContext ctx_;
  ClientFor client_for_;
  kube::ResourceInfo resource_;
  mutable std::mutex mu_;  // running_: Apply/Stop (the watch thread) against ForEach (webhooks)
  std::map<std::string, std::unique_ptr<Running>> running_;
  std::map<std::string, long long> invalid_;  // key → the generation found unusable
};

}  // namespace warren::run
