// The RabbitMQ management HTTP API as warren's logic uses it: the seam between that logic and the
// HTTP client. ManagementClient (management_client.h) is the real one, with failover across
// nodes; tests/support/fake_rabbit.h answers from a script, so the agent's lanes are tested
// without a broker.
//
// Errors are Status values as the real client gives them (see management_client.h): 404
// kNotFound, 5xx and transport failures kUnavailable, a stop kCancelled.
#pragma once

#include <string>
#include <vector>

#include "agent/net/http_client.h"
#include "diff/model/object.h"

namespace warren::rabbitmq {

class ManagementApi {
 public:
  virtual ~ManagementApi() = default;
  virtual Result<Json> Get(const std::string& path) = 0;
  virtual Result<std::string> GetText(const std::string& path) = 0;  // the raw body, for large listings
  virtual Status Put(const std::string& path, const Json& body) = 0;
  virtual Status Post(const std::string& path, const Json& body) = 0;
  virtual Status Delete(const std::string& path) = 0;
  // One node, no failover and no retries: health checks are about the node asked, and 503 is an
  // answer there. Transport failures are errors; any HTTP status is returned.
  virtual Result<net::HttpResponse> GetFromNode(size_t node, const std::string& path) = 0;
  virtual const std::vector<std::string>& urls() const = 0;
};

}  // namespace warren::rabbitmq
