#include "agent/cli/rabbit_connect.h"

#include "agent/rabbitmq/credentials.h"

namespace warren::cli {

Result<std::unique_ptr<rabbitmq::ManagementClient>> ConnectRabbit(const RabbitArgs& args) {
  auto credentials = rabbitmq::LoadCredentials(args.credentials_file);
  if (!credentials.ok()) return credentials.status();
  rabbitmq::ManagementConfig config;
  for (const std::string& u : args.urls) {  // "a,b" and repeated flags alike
    size_t start = 0;
    while (start <= u.size()) {
      size_t end = u.find(',', start);
      if (end == std::string::npos) end = u.size();
      if (end > start) config.urls.push_back(u.substr(start, end - start));
      start = end + 1;
    }
  }
  config.username = credentials.value().username;
  config.password = credentials.value().password;
  config.ca_file = args.ca_file;
  config.timeout_ms = args.timeout_ms;
  return rabbitmq::ManagementClient::Create(std::move(config));
}

}  // namespace warren::cli
