#include "agent/rabbitmq/connect.h"

namespace warren::rabbitmq {

Result<std::unique_ptr<ManagementClient>> Connect(const ConnectOptions& options) {
  WARREN_ASSIGN_OR_RETURN(auto credentials, LoadCredentials(options.credentials_file));
  ManagementConfig config;
  for (const std::string& u : options.urls) {
    size_t start = 0;
    while (start <= u.size()) {
      size_t end = u.find(',', start);
      if (end == std::string::npos) end = u.size();
      if (end > start) config.urls.push_back(u.substr(start, end - start));
      start = end + 1;
    }
  }
  config.username = credentials.username;
  config.password = credentials.password;
  config.ca_file = options.ca_file;
  config.timeout_ms = options.timeout_ms;
  config.stop = options.stop;
  std::string file = options.credentials_file;
  config.reload_credentials = [file] { return LoadCredentials(file); };
  return ManagementClient::Create(std::move(config));
}

}  // namespace warren::rabbitmq
