#include "agent/run/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "agent/util/cancel.h"

namespace warren::run {
namespace {

const char* kLevelNames[] = {"debug", "info", "warn", "error"};
const spdlog::level::level_enum kLevels[] = {spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
                                             spdlog::level::err};

}  // namespace

Result<std::shared_ptr<Logger>> Logger::Create(const LogOptions& options) {
  if (options.format != "text" && options.format != "json")
    return Status::Invalid("log format must be text or json, not \"" + options.format + "\"");
  int level = -1;
  for (int i = 0; i < 4; ++i)
    if (options.level == kLevelNames[i]) level = i;
  if (level < 0) return Status::Invalid("log level must be debug, info, warn or error, not \"" + options.level + "\"");
  // Not registered with spdlog's global registry: each Logger owns its sink.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("warren", sink);
  logger->set_pattern("%v");  // the line is built below, so JSON stays JSON
  logger->set_level(kLevels[level]);
  logger->flush_on(spdlog::level::debug);
  return std::shared_ptr<Logger>(new Logger(std::move(logger), options.format == "json"));
}

void Logger::Write(int level, std::string_view msg, const Json& fields) const {
  if (!sink_->should_log(kLevels[level])) return;
  std::string line;
  if (json_) {
    Json j = {{"ts", UtcTimestamp(3)}, {"level", kLevelNames[level]}, {"msg", std::string(msg)}};
    for (const auto& [k, v] : fields.items()) j[k] = v;
    line = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  } else {
    line = UtcTimestamp(3) + " " + kLevelNames[level] + " " + std::string(msg);
    for (const auto& [k, v] : fields.items()) {
      std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      bool quote = text.empty() || text.find_first_of(" \"=") != std::string::npos;
      line += " " + k + "=" + (quote ? Json(text).dump() : text);
    }
  }
  sink_->log(kLevels[level], line);
}

}  // namespace warren::run
