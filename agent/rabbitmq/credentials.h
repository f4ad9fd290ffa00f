// RabbitMQ credentials, from (in order) a file or directory given on the command line, or the
// environment (RABBITMQ_USERNAME, RABBITMQ_PASSWORD). Never from arguments, never logged.
//
// A file holds "username:password" on its first line. A directory is a mounted Kubernetes
// Secret: its `username` and `password` files (the keys of a basic-auth Secret).
//
// Threads: LoadCredentials reads the file or environment each time and keeps nothing: it may be
// called from any thread (the management client calls it again after a 401).
#pragma once

#include <string>

#include "diff/model/status.h"

namespace warren::rabbitmq {

struct Credentials {
  std::string username, password;
};

Result<Credentials> LoadCredentials(const std::string& path);

}  // namespace warren::rabbitmq
