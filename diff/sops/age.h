// age v1 (https://age-encryption.org/v1), decryption with X25519 identities only: Bech32 keys,
// identity files as age-keygen writes them, the ASCII armor, the header and its MAC, and the
// STREAM payload. Strict as the reference reader is: anything it refuses is refused here too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "diff/model/status.h"
#include "diff/sops/crypto.h"

namespace warren::sops {

// Bech32 (BIP 173 checksum, no length limit, as age uses it). Decode returns the HRP in its
// original case and the payload bytes; nullopt on a bad checksum, mixed case or bad padding.
struct Bech32 {
  std::string hrp;
  std::string data;
};
std::optional<Bech32> DecodeBech32(std::string_view text);
std::string EncodeBech32(std::string_view hrp, std::string_view data);  // lowercase

struct AgeIdentity {
  SecretBytes scalar;      // 32 bytes
  std::string public_key;  // 32 bytes, X25519(scalar, 9)
  std::string recipient;   // age1..., the public key's text form
};

// Every identity from one source: an identity file's text, or SOPS_AGE_KEY's value.
struct IdentitySet {
  std::vector<AgeIdentity> identities;
  int skipped = 0;  // post-quantum or plugin identities, which cannot open X25519 stanzas
};

// Reads identities the way age-keygen writes them: lines (CRLF accepted), blank lines and `#`
// comments skipped, every other line one whole identity. `separated_by_spaces` also splits lines
// at spaces (SOPS_AGE_KEY from sops 3.13). Errors name `source` and the line, never the text.
Result<IdentitySet> ParseIdentities(std::string_view text, const std::string& source, bool separated_by_spaces = false);

// An identity's text form (AGE-SECRET-KEY-1...), for tests and writers.
std::string EncodeIdentity(std::string_view scalar);
std::string EncodeRecipient(std::string_view public_key);

// What went wrong, in the classes of the age test vectors (C2SP CCTV).
enum class AgeFailure { kNone, kNoMatch, kArmor, kHeader, kHmac, kPayload };
struct AgeResult {
  AgeFailure failure = AgeFailure::kNone;
  std::string reason;  // for people: what failed, never key or plaintext bytes
  SecretBytes plaintext;
};
const char* AgeFailureName(AgeFailure f);

// Removes the ASCII armor ("-----BEGIN AGE ENCRYPTED FILE-----"). Inputs over `max_bytes` are refused.
Result<std::string> Dearmor(std::string_view text, size_t max_bytes = 64 * 1024);

// Decrypts a binary age file with the first identity that opens one of its X25519 stanzas.
AgeResult DecryptAge(std::string_view file, const std::vector<const AgeIdentity*>& identities);

// Checks the header's syntax and returns the stanza types, without any key (lint).
Result<std::vector<std::string>> AgeStanzaTypes(std::string_view file);

// Encrypts `plaintext` to one X25519 recipient (a 32-byte public key); tests and benchmarks
// write their own files with it. Returns the binary file.
std::string EncryptAge(std::string_view recipient_public, std::string_view plaintext);
std::string Armor(std::string_view binary);

}  // namespace warren::sops
