#include "agent/cli/rabbit_connect.h"

#include "agent/rabbitmq/connect.h"

namespace warren::cli {

Result<std::unique_ptr<rabbitmq::ManagementClient>> ConnectRabbit(const RabbitArgs& args) {
  return rabbitmq::Connect({args.urls, args.credentials_file, args.ca_file, args.timeout_ms, StopToken()});
}

Status RolloutNodes(const RabbitArgs& args, rollout::DriverOptions& o) {
  return rollout::ConnectNodesLike({args.urls, args.credentials_file, args.ca_file, args.timeout_ms, StopToken()},
                                   args.pod_url_template, args.node_urls, o);
}

}  // namespace warren::cli
