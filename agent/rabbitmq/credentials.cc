#include "agent/rabbitmq/credentials.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace warren::rabbitmq {
namespace {

Result<std::string> ReadFirstLine(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Status::Io("cannot read credentials file " + file.string());
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace

Result<Credentials> LoadCredentials(const std::string& path) {
  Credentials c;
  if (!path.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      WARREN_ASSIGN_OR_RETURN(auto user, ReadFirstLine(std::filesystem::path(path) / "username"));
      WARREN_ASSIGN_OR_RETURN(auto pass, ReadFirstLine(std::filesystem::path(path) / "password"));
      c = {user, pass};
    } else {
      WARREN_ASSIGN_OR_RETURN(auto line, ReadFirstLine(path));
      size_t colon = line.find(':');
      if (colon == std::string::npos || colon == 0)
        return Status::Invalid("credentials file " + path + ": expected \"username:password\" on the first line");
      c = {line.substr(0, colon), line.substr(colon + 1)};
    }
  } else {
    const char* user = std::getenv("RABBITMQ_USERNAME");
    const char* pass = std::getenv("RABBITMQ_PASSWORD");
    if (!user || !*user || !pass)
      return Status::Invalid(
          "no RabbitMQ credentials: name a credentials file or set RABBITMQ_USERNAME and RABBITMQ_PASSWORD");
    c = {user, pass};
  }
  if (c.username.empty()) return Status::Invalid("RabbitMQ credentials: empty username");
  return c;
}

}  // namespace warren::rabbitmq
