#include "diff/model/yaml_scalar.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <unordered_map>

namespace warren {
namespace {

__extension__ typedef unsigned __int128 Uint128;  // GCC/Clang builtin; overflow-safe accumulation
__extension__ typedef __int128 Int128;

// Parses an integer the way Go's strconv.ParseInt(s, 0, 64) does after go-yaml removed "_":
// optional sign, then 0x / 0o / 0b prefixes, a leading 0 for octal, else decimal.
bool ParseYamlInt(const std::string& s, Json* out) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i >= s.size()) return false;
  int base = 10;
  if (s.size() - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
    base = 16, i += 2;
  else if (s.size() - i > 2 && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O'))
    base = 8, i += 2;
  else if (s.size() - i > 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B'))
    base = 2, i += 2;
  else if (s.size() - i > 1 && s[i] == '0')
    base = 8, i += 1;
  Uint128 v = 0;
  for (; i < s.size(); ++i) {
    int d;
    char c = s[i];
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return false;
    if (d >= base) return false;
    v = v * base + d;
    if (v > (static_cast<Uint128>(UINT64_MAX))) return false;
  }
  if (negative) {
    if (v > static_cast<Uint128>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(-static_cast<Int128>(v));
  } else if (v <= INT64_MAX) {
    *out = static_cast<int64_t>(v);
  } else {
    *out = static_cast<uint64_t>(v);
  }
  return true;
}

// go-yaml v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool ParseYamlFloat(const std::string& s, Json* out) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (i != s.size()) return false;
  *out = std::strtod(s.c_str(), nullptr);
  return true;
}

// YYYY-MM-DD: go-yaml v2 reads it as a timestamp and sigs.k8s.io/yaml writes it back as RFC 3339.
bool ParseYamlDate(const std::string& s, Json* out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!isdigit(static_cast<unsigned char>(s[i]))) return false;
  *out = s + "T00:00:00Z";
  return true;
}

}  // namespace

std::string MappingKeyString(const Json& k) {
  if (k.is_string()) return k.get<std::string>();
  if (k.is_null()) return "null";
  if (k.is_boolean()) return k.get<bool>() ? "true" : "false";
  return k.dump();  // numbers: Go formats ints and shortest floats the same way
}

Json ResolvePlainScalar(const std::string& s) {
  static const std::unordered_map<std::string, Json> kWords = [] {
    std::unordered_map<std::string, Json> m;
    for (const char* w : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) m.emplace(w, true);
    for (const char* w : {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
      m.emplace(w, false);
    for (const char* w : {"", "~", "null", "Null", "NULL"}) m.emplace(w, nullptr);
    for (const char* w : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) m.emplace(w, HUGE_VAL);
    for (const char* w : {"-.inf", "-.Inf", "-.INF"}) m.emplace(w, -HUGE_VAL);
    for (const char* w : {".nan", ".NaN", ".NAN"}) m.emplace(w, NAN);
    return m;
  }();
  if (auto it = kWords.find(s); it != kWords.end()) return it->second;
  char c = s[0];
  if (!(isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return s;
  Json out;
  if (ParseYamlDate(s, &out)) return out;
  std::string plain;
  plain.reserve(s.size());
  for (char ch : s)
    if (ch != '_') plain += ch;
  if (ParseYamlInt(plain, &out)) return out;
  if (ParseYamlFloat(plain, &out)) return out;
  return s;
}

}  // namespace warren
