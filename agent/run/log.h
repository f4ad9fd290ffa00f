// The agent's log: one line per event through spdlog, as text ("2026-11-29T10:00:00.123Z info
// reconciled source=warren commit=...") or as one JSON object per line
// ({"ts":...,"level":"info","msg":"reconciled","source":"warren",...}) for log collectors.
// Fields are values warren chose to log (names, counts, commits, error messages): never object
// contents, so no Secret value or token can reach the log.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "diff/model/object.h"
#include "diff/model/status.h"

namespace spdlog {
class logger;
}

namespace warren::run {

struct LogOptions {
  std::string format = "text";  // text | json
  std::string level = "info";   // debug | info | warn | error
};

class Logger {
 public:
  // Writes to stderr. Fails on an unknown format or level.
  static Result<std::shared_ptr<Logger>> Create(const LogOptions& options);

  void Debug(std::string_view msg, const Json& fields = Json::object()) const { Write(0, msg, fields); }
  void Info(std::string_view msg, const Json& fields = Json::object()) const { Write(1, msg, fields); }
  void Warn(std::string_view msg, const Json& fields = Json::object()) const { Write(2, msg, fields); }
  void Error(std::string_view msg, const Json& fields = Json::object()) const { Write(3, msg, fields); }

 private:
  Logger(std::shared_ptr<spdlog::logger> sink, bool json) : sink_(std::move(sink)), json_(json) {}
  void Write(int level, std::string_view msg, const Json& fields) const;

  std::shared_ptr<spdlog::logger> sink_;
  bool json_;
};

}  // namespace warren::run
