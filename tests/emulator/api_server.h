// The Kubernetes API emulator: an HTTPS server that answers as a 1.32 kube-apiserver does for the
// resources warren uses, with authentication (bearer tokens, client certificates), RBAC from the
// stored Roles and bindings, defaulting, validation, server-side apply with managedFields and
// conflicts, watch, and a StatefulSet controller. Admin endpoints under /emulator/ give tests a
// request log, fault injection and a reset to the freshly started state.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/emulator/authz.h"
#include "tests/emulator/custom_resources.h"
#include "tests/emulator/store.h"
#include "tests/emulator/tls.h"

namespace httplib {
class SSLServer;
struct Request;
struct Response;
}  // namespace httplib

namespace emulator {

struct Options {
  int port = 0;                            // 0: any free port
  int tick_ms = 200;                       // StatefulSet controller period
  size_t history = 5000;                   // change events kept for watches; older resourceVersions get 410
  std::map<std::string, UserInfo> tokens;  // bearer token → user
  // A pod runtime: `<hook> stop|start|ready NAMESPACE POD ORDINAL`. With one, a deleted pod is
  // Terminating until `stop` returns, and a created pod is Ready once `start` returned and `ready`
  // exits 0 (tests map pod N to node N+1 of the local RabbitMQ cluster). Without: at once.
  std::string pod_hook;
};

struct Fault {
  std::string method;       // "" = any
  std::string path_prefix;  // "" = any
  int status = 0;           // 0: no status, only latency
  int retry_after_seconds = 0;
  int latency_ms = 0;
  int times = 1;      // how many requests it hits; -1 = until cleared
  int skip = 0;       // matching requests let through untouched before it hits
  bool drop = false;  // answer 200 with a body cut short: the connection breaks mid-response
  // "before": park the request unhandled until released, then refuse it (the client never got
  // through); "after": handle it, then park the answer (the write is done, the client never hears).
  std::string hold;
};

class ApiServer {
 public:
  ApiServer(Pki pki, Options options);
  ~ApiServer();
  int Start();  // returns the port
  void Stop();

  void Handle(const httplib::Request& req, httplib::Response& res);

  struct Call;  // one request on its way through; defined in call.h

 private:
  void SeedNamespaces();  // default, kube-system, kube-public, as a new cluster has them
  bool Authenticate(const httplib::Request& req, UserInfo* user);
  // Finds the fault a request meets, if any (counting it against `skip` and `times`).
  std::optional<Fault> MatchFault(const httplib::Request& req);
  // Applies a fault's status, latency or dropped connection; true when the request is answered.
  bool InjectFault(const Fault& hit, httplib::Response& res);
  void Hold();  // parks the calling request until the faults are cleared (at most a minute)
  void Route(Call& c);
  void Admin(Call& c);
  void Discovery(Call& c);
  void ResourceRequest(Call& c);
  void GetOrList(Call& c);
  void Watch(Call& c);
  void Create(Call& c);
  void Update(Call& c);
  void Patch(Call& c);
  void Delete(Call& c);
  void AccessReview(Call& c);
  // Namespace deletion and termination (see handlers.cc). Call with the store locked.
  void DeleteNamespace(Call& c, Json ns);
  void FinishNamespace(const std::string& name);  // removes it if Terminating and empty
  void ReplyDeleted(Call& c, const Json& obj);
  void ControllerLoop();
  void ReconcileStatefulSet(const Json& sts);
  void ReconcileEndpoints();
  // The pod runtime (Options::pod_hook). A run is keyed by pod uid and verb; Hook() starts it
  // once and says whether it has finished, and with which exit code.
  bool Hook(const std::string& verb, const Json& pod, int* rc = nullptr);
  // Deletes a pod as the kubelet would: with a hook, marked Terminating and removed once `stop`
  // returned (by the controller loop); without, at once. Call with the store locked.
  Json TerminatePod(Json pod);
  ListFn RbacLister();
  // Built-in and custom resources, as served now.
  ResourceSet Served() const;
  const Resource* Lookup(const std::string& group, const std::string& version, const std::string& plural) const;
  // After a write of CustomResourceDefinitions: serves what the stored ones define, withdraws the
  // rest and deletes the objects of withdrawn resources. Call with the store locked.
  void SyncDefinitions();
  // Impersonate-User/Group: the requester needs the impersonate verb on each; `c.user` becomes the
  // impersonated user. False when refused (answered 403).
  bool Impersonate(Call& c);
  std::string AllocateClusterIp();
  int AllocateNodePort();

  Pki pki_;
  Options options_;
  Store store_{options_.history};
  CustomResources custom_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread server_thread_, controller_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex log_mu_;
  Json request_log_ = Json::array();
  std::vector<Fault> faults_;
  std::condition_variable released_;  // a DELETE of /emulator/faults lets held requests go
  int held_ = 0, release_generation_ = 0;
  int next_ip_ = 10, next_node_port_ = 30000;
  struct HookRun {
    std::atomic<bool> done{false};
    int rc = -1;
  };
  std::mutex hooks_mu_;
  std::map<std::string, std::shared_ptr<HookRun>> hook_runs_;  // "uid/verb"
  std::map<std::string, Json> revisions_;                      // StatefulSet revision → its pod template
};

}  // namespace emulator
