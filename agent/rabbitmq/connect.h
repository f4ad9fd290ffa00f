// A management client from where the settings say the API is and the credentials are: URLs
// ("a,b" lists and repeats alike), a credentials file or directory (re-read after a 401), a CA.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/rabbitmq/management_client.h"

namespace warren::rabbitmq {

struct ConnectOptions {
  std::vector<std::string> urls;
  std::string credentials_file;  // "" = RABBITMQ_USERNAME/RABBITMQ_PASSWORD
  std::string ca_file;
  long timeout_ms = 10000;
  StopToken stop;
};

Result<std::unique_ptr<ManagementClient>> Connect(const ConnectOptions& options);

}  // namespace warren::rabbitmq
