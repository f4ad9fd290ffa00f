#include "diff/model/duration.h"

#include <cctype>
#include <cmath>

namespace warren {

Result<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::Invalid("invalid duration \"" + text + "\": " + why +
                           " (a Go duration like 500ms, 90s, 5m or 1h30m)");
  };
  if (text.empty()) return bad("empty");
  if (text.find_first_not_of("0123456789") == std::string::npos) {  // a bare number: seconds
    if (text.size() > 9) return bad("too large");
    return std::chrono::milliseconds(std::stoll(text) * 1000);
  }
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return bad(text[i] == '-' ? "negative" : "expected a number at \"" + text.substr(start) + "\"");
    std::string number = text.substr(start, i - start);
    if (number == "." || number.find('.') != number.rfind('.')) return bad("malformed number " + number);
    size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    double scale;
    if (unit == "h")
      scale = 3600e3;
    else if (unit == "m")
      scale = 60e3;
    else if (unit == "s")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1;
    else if (unit == "us" || unit == "\u00b5s")
      scale = 1e-3;
    else if (unit == "ns")
      scale = 1e-6;
    else
      return bad(unit.empty() ? "missing unit after " + number : "unknown unit \"" + unit + "\"");
    total_ms += std::stod(number) * scale;
  }
  if (total_ms > 1e15) return bad("too large");
  return std::chrono::milliseconds(static_cast<long long>(std::llround(total_ms)));
}

std::string FormatDuration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 1000 != 0 && ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  long long h = ms / 3600000, m = ms / 60000 % 60;
  double s = (ms % 60000) / 1000.0;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  if (s != 0 || out.empty()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    out += std::string(buf) + "s";
  } else if (h && !m) {
    out.resize(out.size() - 2);  // 1h0m -> 1h
  }
  if (!h && m && s == 0) return std::to_string(m) + "m";
  return out;
}

}  // namespace warren
