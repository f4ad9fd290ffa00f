#include "diff/sops/values.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <regex>

#include "diff/sops/crypto.h"

namespace warren::sops {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int DigitValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Go's strconv.ParseInt(s, 0, 64) / ParseUint: sign (signed only), then 0x, 0o, 0b or a
// leading 0 (octal) choosing the base. `magnitude` gets the digits' value.
// Go's strconv.ParseUint(s, 0, 64) without a sign: 0x, 0o, 0b or a leading 0 (octal) choose
// the base. nullopt on bad digits or overflow.
std::optional<uint64_t> ParseGoUnsigned(std::string_view s) {
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
      s.remove_prefix(2);
      if (s.empty()) return std::nullopt;
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) return base == 8 ? std::optional<uint64_t>(0) : std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d = DigitValue(c);
    if (d >= base) return std::nullopt;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  return v;
}

// ParseInt(s, 0, 64), then ParseUint: an int64, or kUnsupported for what only fits uint64.
std::optional<Plain> GoInteger(const std::string& s) {
  std::string_view digits = s;
  bool negative = false, sign = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    sign = true;
    digits.remove_prefix(1);
  }
  auto m = ParseGoUnsigned(digits);
  if (!m) return std::nullopt;
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (negative && *m <= kMax) return Plain{PlainKind::kInt, std::to_string(-static_cast<int64_t>(*m))};
  if (negative && *m == kMax + 1) return Plain{PlainKind::kInt, std::to_string(INT64_MIN)};
  if (!negative && *m <= kMax) return Plain{PlainKind::kInt, std::to_string(static_cast<int64_t>(*m))};
  if (!sign) return Plain{PlainKind::kUnsupported, ""};
  return std::nullopt;
}

std::optional<double> GoParseFloat(const std::string& s) {
  if (s.empty() || isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Enc> ParseEnc(std::string_view text) {
  constexpr std::string_view kPrefix = "ENC[AES256_GCM,data:";
  if (text.substr(0, kPrefix.size()) != kPrefix || text.empty() || text.back() != ']') return std::nullopt;
  text.remove_prefix(kPrefix.size());
  text.remove_suffix(1);
  auto take = [&](std::string_view sep, std::string_view* field) {
    size_t at = text.find(sep);
    if (at == std::string_view::npos) return false;
    *field = text.substr(0, at);
    text.remove_prefix(at + sep.size());
    return true;
  };
  std::string_view data, iv, tag;
  if (!take(",iv:", &data) || !take(",tag:", &iv) || !take(",type:", &tag)) return std::nullopt;
  Enc out;
  auto d = DecodeBase64Strict(data, true), i = DecodeBase64Strict(iv, true), t = DecodeBase64Strict(tag, true);
  if (!d || !i || !t || d->empty() || i->empty() || t->size() != 16 || text.empty()) return std::nullopt;
  for (char c : text)
    if (!(c >= 'a' && c <= 'z')) return std::nullopt;
  out.data = std::move(*d);
  out.iv = std::move(*i);
  out.tag = std::move(*t);
  out.type = std::string(text);
  return out;
}

std::optional<std::pair<Json, std::string>> DecodeTyped(const std::string& plaintext, const std::string& type) {
  if (type == "str" || type == "bytes") return std::pair<Json, std::string>{plaintext, plaintext};
  if (type == "time") return std::pair<Json, std::string>{plaintext, plaintext};
  if (type == "int") {
    std::string_view s = plaintext;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    for (char c : s)
      if (!IsDigit(c)) return std::nullopt;
    int64_t v = 0;
    const char* begin = plaintext.data() + (plaintext[0] == '+' ? 1 : 0);
    auto [end, ec] = std::from_chars(begin, plaintext.data() + plaintext.size(), v);
    if (ec != std::errc() || end != plaintext.data() + plaintext.size()) return std::nullopt;
    return std::pair<Json, std::string>{v, std::to_string(v)};
  }
  if (type == "float") {
    std::string s = plaintext;
    if (s == "+Inf" || s == "Inf" || s == "inf" || s == "+inf") return std::pair<Json, std::string>{HUGE_VAL, "+Inf"};
    if (s == "-Inf" || s == "-inf") return std::pair<Json, std::string>{-HUGE_VAL, "-Inf"};
    if (s == "NaN" || s == "nan") return std::pair<Json, std::string>{NAN, "NaN"};
    for (char c : s)
      if (!(IsDigit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return std::nullopt;
    auto v = GoParseFloat(s);
    if (!v) return std::nullopt;
    return std::pair<Json, std::string>{*v, FormatGoFloat(*v)};
  }
  if (type == "bool") {
    for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
      if (plaintext == t) return std::pair<Json, std::string>{true, "True"};
    for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
      if (plaintext == f) return std::pair<Json, std::string>{false, "False"};
    return std::nullopt;
  }
  return std::nullopt;  // comment, or a type this version does not know
}

Plain ResolveYaml12(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return {PlainKind::kNull, ""};
  if (text == "true" || text == "True" || text == "TRUE") return {PlainKind::kBool, "True"};
  if (text == "false" || text == "False" || text == "FALSE") return {PlainKind::kBool, "False"};
  for (const char* s : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})
    if (text == s) return {PlainKind::kFloat, "+Inf"};
  for (const char* s : {"-.inf", "-.Inf", "-.INF"})
    if (text == s) return {PlainKind::kFloat, "-Inf"};
  for (const char* s : {".nan", ".NaN", ".NAN"})
    if (text == s) return {PlainKind::kFloat, "NaN"};
  char hint = text[0];
  if (hint == '.') {  // not in the table: maybe a float like .5
    auto v = GoParseFloat(text);
    if (v && text.find_first_of("xXpPnNiI_") == std::string::npos) return {PlainKind::kFloat, FormatGoFloat(*v)};
    return {PlainKind::kString, ""};
  }
  if (!(IsDigit(hint) || hint == '+' || hint == '-')) return {PlainKind::kString, ""};
  static const std::regex kTimestamp("^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$");
  if (std::regex_match(text, kTimestamp)) return {PlainKind::kTimestamp, ""};
  std::string plain;
  for (char c : text)
    if (c != '_') plain += c;
  if (auto i = GoInteger(plain)) return *i;
  static const std::regex kFloat("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$");
  if (std::regex_match(plain, kFloat))
    if (auto v = GoParseFloat(plain)) return {PlainKind::kFloat, FormatGoFloat(*v)};
  return {PlainKind::kString, ""};
}

std::string FormatGoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (ec != std::errc()) return "";
  return std::string(buf, end);
}

std::optional<std::string> LastModifiedAad(const std::string& text) {
  static const std::regex kRfc3339(
      "^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}:[0-9]{2}:[0-9]{2})(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$");
  std::smatch m;
  if (!std::regex_match(text, m, kRfc3339)) return std::nullopt;
  std::string zone = m[4].str();
  if (zone == "z" || zone == "Z" || zone == "+00:00" || zone == "-00:00") zone = "Z";
  return m[1].str() + "T" + m[2].str() + zone;
}

}  // namespace warren::sops
