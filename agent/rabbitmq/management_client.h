// The RabbitMQ management HTTP API client: several node URLs with failover, basic auth, TLS with a
// CA, a timeout on every request, bounded retries with backoff on connection failures and 5xx.
// Errors are values: the status code picks the StatusCode (400 kInvalidArgument, 401
// kUnauthenticated, 403 kForbidden, 404 kNotFound, 5xx kUnavailable) and the message reads
// "PUT /api/policies/orders/ha-all: 400 bad_request: Validation failed: ...", with the server's
// HTML-escaped reason made readable. Callers branch on the code, never on the reason text.
//
// Threads: safe to share; requests are serialised on a mutex (one connection per node). A 401
// re-reads the credentials once when the config says how (a rotated Secret), then retries.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/net/http_client.h"
#include "agent/rabbitmq/credentials.h"
#include "agent/rabbitmq/management_api.h"
#include "diff/model/object.h"

namespace warren::rabbitmq {

struct ManagementConfig {
  std::vector<std::string> urls;  // http(s)://host:15672, tried in order; the first that answers sticks
  std::string username, password;
  std::string ca_file;
  long timeout_ms = 10000;
  int retries = 2;               // extra rounds over all URLs after the first
  long backoff_ms = 200;         // doubled each round, plus jitter
  StopToken stop;                // aborts requests and backoff waits: kCancelled
  const Clock* clock = nullptr;  // backoff waits (default: the real clock)
  // Where fresh credentials come from after a 401 (unset: a 401 is final).
  std::function<Result<Credentials>()> reload_credentials;
};

class ManagementClient : public ManagementApi {
 public:
  // Fails on an empty URL list, a URL that is not http(s), or one with credentials in it.
  static Result<std::unique_ptr<ManagementClient>> Create(ManagementConfig config);

  Result<Json> Get(const std::string& path) override;
  Result<std::string> GetText(const std::string& path) override;
  Status Put(const std::string& path, const Json& body) override;
  Status Post(const std::string& path, const Json& body) override;
  Status Delete(const std::string& path) override;
  Result<net::HttpResponse> GetFromNode(size_t node, const std::string& path) override;
  const std::vector<std::string>& urls() const override { return config_.urls; }

  // How many HTTP requests were sent (tests count them).
  size_t requests_sent() const;

 private:
  explicit ManagementClient(ManagementConfig config);
  void Connect();  // one connection cache per node, with the current credentials
  Result<net::HttpResponse> Send(const std::string& method, const std::string& path, const std::string& body);
  Status Write(const std::string& method, const std::string& path, const std::string& body);  // 2xx or error

  ManagementConfig config_;
  std::vector<std::unique_ptr<net::HttpClient>> nodes_;  // one connection cache per node
  size_t current_ = 0;
  size_t requests_sent_ = 0;
  mutable std::mutex mu_;
};

// The error for a non-2xx reply, as described above. Exposed for tests.
Status ErrorFromReply(const std::string& method, const std::string& path, long status, const std::string& body);

// "/api/queues/" + vhost + "/" + name with each segment escaped (vhost "/" → %2F).
std::string ApiPath(const std::string& collection, const std::string& vhost, const std::string& name = "");

}  // namespace warren::rabbitmq
