// The value layer of SOPS: the ENC[AES256_GCM,...] syntax, typed plaintexts, and the canonical
// bytes each leaf feeds into the MAC — which follow how sops's own readers (go-yaml v3, Go's
// strconv) type a value, not how Kubernetes reads it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "diff/model/object.h"

namespace warren::sops {

// A parsed ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<type>] value (bytes decoded).
struct Enc {
  std::string data, iv, tag, type;
};
// Strict: the exact literals, canonical padded base64, a 16-byte tag, a non-empty IV, and the
// closing ']' ending the value.
std::optional<Enc> ParseEnc(std::string_view text);

// A decrypted plaintext as its type says (str, bytes, int, float, bool, time): the value and
// its canonical bytes. nullopt when the text is not of that type, or the type is unknown.
std::optional<std::pair<Json, std::string>> DecodeTyped(const std::string& plaintext, const std::string& type);

// How go-yaml v3 (YAML 1.2 core schema) types a plain scalar, with the bytes sops hashes for it.
enum class PlainKind { kString, kNull, kBool, kInt, kFloat, kTimestamp, kUnsupported };
struct Plain {
  PlainKind kind = PlainKind::kString;
  std::string canonical;  // True/False, decimal, Go's shortest fixed-point float
};
Plain ResolveYaml12(const std::string& text);

// Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent;
// +Inf, -Inf, NaN.
std::string FormatGoFloat(double v);

// The MAC's AAD from sops.lastmodified: RFC 3339, re-formatted as Go's time.Format(RFC3339)
// writes it (fraction dropped, "Z" for UTC). nullopt when it does not parse.
std::optional<std::string> LastModifiedAad(const std::string& text);

}  // namespace warren::sops
