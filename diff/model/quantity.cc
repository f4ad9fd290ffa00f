#include "diff/model/quantity.h"

#include <array>
#include <cctype>
#include <utility>

namespace warren {
namespace {

constexpr MilliValue kLimit = static_cast<MilliValue>(1) << 120;  // far above any real quantity

MilliValue Pow(MilliValue base, int exp) {
  MilliValue r = 1;
  while (exp-- > 0) r *= base;
  return r;
}

std::string ToString(MilliValue v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  if (negative) v = -v;
  std::string s;
  while (v > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return negative ? "-" + s : s;
}

}  // namespace

std::optional<MilliValue> ParseQuantity(const std::string& text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  MilliValue mantissa = 0;
  int frac_digits = 0, digits = 0;
  bool seen_dot = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !seen_dot) {
      seen_dot = true;
      continue;
    }
    if (!isdigit(static_cast<unsigned char>(c))) break;
    // Up to 37 digits, so that every canonical form (below 2^120 milli-units) reads back (found
    // by fuzzing); 10^37 still fits 128 bits.
    if (++digits > 37) return std::nullopt;
    mantissa = mantissa * 10 + (c - '0');
    if (seen_dot) ++frac_digits;
  }
  if (digits == 0) return std::nullopt;

  std::string suffix = text.substr(i);
  int exp10 = 3 - frac_digits;  // milli-units
  MilliValue binary = 1;
  static const std::array<std::pair<const char*, int>, 6> kBinary = {
      {{"Ki", 1}, {"Mi", 2}, {"Gi", 3}, {"Ti", 4}, {"Pi", 5}, {"Ei", 6}}};
  static const std::array<std::pair<const char*, int>, 9> kDecimal = {
      {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0}, {"k", 3}, {"M", 6}, {"G", 9}, {"T", 12}, {"P", 15}}};
  bool matched = false;
  for (auto [s, k] : kBinary)
    if (suffix == s) binary = Pow(1024, k), matched = true;
  for (auto [s, e] : kDecimal)
    if (suffix == s) exp10 += e, matched = true;
  if (suffix == "E") exp10 += 18, matched = true;
  if (!matched && suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    size_t j = 1;
    bool exp_negative = false;
    if (suffix[j] == '+' || suffix[j] == '-') exp_negative = suffix[j++] == '-';
    if (j >= suffix.size() || suffix.size() - j > 3) return std::nullopt;
    int e = 0;
    for (; j < suffix.size(); ++j) {
      if (!isdigit(static_cast<unsigned char>(suffix[j]))) return std::nullopt;
      e = e * 10 + (suffix[j] - '0');
    }
    exp10 += exp_negative ? -e : e;
    matched = true;
  }
  if (!matched || exp10 > 36 || exp10 < -60) return std::nullopt;

  // 30 digits times 1024^6 would overflow 128 bits (found by fuzzing): no quantity is that large.
  if (mantissa > (static_cast<MilliValue>(1) << 125) / binary) return std::nullopt;
  MilliValue value = mantissa * binary;
  if (exp10 >= 0) {
    for (int k = 0; k < exp10; ++k) {
      if (value > kLimit) return std::nullopt;  // before multiplying: 10 x 2^125 overflows (fuzzing)
      value *= 10;
    }
  } else {
    MilliValue div = Pow(10, -exp10 > 38 ? 38 : -exp10);
    value = (value + div - 1) / div;  // round up below 1m, as the API server does
  }
  if (value > kLimit) return std::nullopt;
  return negative ? -value : value;
}

std::optional<MilliValue> ParseQuantity(const Json& value) {
  if (value.is_string()) return ParseQuantity(value.get<std::string>());
  if (value.is_number_integer()) return ParseQuantity(std::to_string(value.get<long long>()));
  if (value.is_number_float()) {
    std::string s = value.dump();  // shortest round-trip form
    return ParseQuantity(s);
  }
  return std::nullopt;
}

std::string CanonicalQuantity(MilliValue milli) {
  bool negative = milli < 0;
  MilliValue v = negative ? -milli : milli;
  std::string sign = negative ? "-" : "";
  if (v % 1000 != 0) return sign + ToString(v) + "m";
  v /= 1000;
  if (v == 0) return "0";
  static const char* kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  static const char* kDecimal[] = {"", "k", "M", "G", "T", "P", "E"};
  // The shorter of the binary and decimal forms; binary on a tie ("512Mi", "1G", "1T", "2Ki").
  int b = 0, d = 0;
  while (b < 6 && v % Pow(1024, b + 1) == 0) ++b;
  while (d < 6 && v % Pow(1000, d + 1) == 0) ++d;
  std::string binary = ToString(v / Pow(1024, b)) + kBinary[b];
  std::string decimal = ToString(v / Pow(1000, d)) + kDecimal[d];
  return sign + (b > 0 && binary.size() <= decimal.size() ? binary : decimal);
}

}  // namespace warren
