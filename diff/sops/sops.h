// SOPS files (https://github.com/getsops/sops) whose data key is wrapped for age recipients:
// YAML (every document) or JSON, with every value encrypted as ENC[AES256_GCM,...] under the
// file's crypt rule. Opening one decrypts its values and verifies its MAC — which Flux does not —
// so a changed value, a reordered key or a swapped ciphertext is an error. Shamir key groups,
// PGP/KMS-only files, comment-driven rules and unknown versions are refused, not guessed at.
//
// Messages name the failure and the value's path, never a plaintext, a ciphertext or a key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "diff/model/object.h"
#include "diff/model/status.h"
#include "diff/sops/age.h"

namespace warren::sops {

// Every identity warren may decrypt with, from every source (files, environment, a Secret).
struct Keyring {
  std::vector<AgeIdentity> identities;
  std::vector<std::string> sources;  // for messages: "keys.txt", "SOPS_AGE_KEY", ...
  int skipped = 0;                   // identities of kinds that cannot open X25519 stanzas

  void Add(IdentitySet set, const std::string& source);
  bool empty() const { return identities.empty(); }
  // "2 age identities (from keys.txt, SOPS_AGE_KEY)", or "no age identity".
  std::string Describe() const;
};

enum class Format { kYaml, kJson };

// Which leaves the file's rule encrypts (from its metadata; the default is the `_unencrypted`
// suffix).
struct CryptRule;

// A leaf that the rule encrypts: its document, its JSON Pointer in that document, and (after
// Open) its typed plaintext.
struct SealedValue {
  size_t doc = 0;
  std::string pointer;
  Json value;  // null after Inspect
};

struct Opened {
  Opened();
  ~Opened();
  Opened(Opened&&) noexcept;
  Opened& operator=(Opened&&) noexcept;

  std::vector<SealedValue> values;
  size_t documents = 0;  // as this reader counts them (empty ones included)
  std::string version;   // the sops version that wrote the file
  SecretBytes data_key;  // empty after Inspect
  std::unique_ptr<CryptRule> rule;
};

// Decrypts every encrypted value of `text` and verifies the MAC. Errors name what failed (no
// identity matched, MAC mismatch, bad value at stringData.password), never a value or a key.
Result<Opened> Open(std::string_view text, Format format, const Keyring& keys);

// The same checks without a key: metadata, rule, every encrypted position holding a well-formed
// ENC value, and age headers that parse. For `warren lint` without keys.
Result<Opened> Inspect(std::string_view text, Format format);

// Decrypts, in place, the ENC values of `doc`, one object a kustomize build made from a file
// that `origin` opened (same data key and rule, so the same AADs). The MAC belongs to the file,
// which was verified whole; the build may have changed plaintext fields. Removes `sops`.
Status DecryptBuilt(Json* doc, const Opened& origin);

// True for the errors of a file that could not be decrypted (a missing or wrong key among them),
// as the decryptor words them.
bool IsDecryptionError(const Status& s);

}  // namespace warren::sops
