// Where the age identities that open SOPS files come from: identity files, the environment's
// value (SOPS_AGE_KEY, as sops reads it), and a Kubernetes Secret whose `*.agekey` entries each
// hold an identity file (Flux's convention). The Secret is read at every load, so a rotated key
// is used without a restart. Errors name the source, never a key.
#pragma once

#include <string>
#include <vector>

#include "agent/kube/api.h"
#include "diff/sops/sops.h"

namespace warren::source {

struct DecryptionOptions {
  std::vector<std::string> key_files;  // age identity files (AGE-SECRET-KEY-1... lines, # comments)
  std::string inline_keys;             // identities separated by newlines or spaces
  std::string inline_source = "SOPS_AGE_KEY";
  std::string secret;  // "namespace/name" of a Secret whose *.agekey entries are identity files
  bool configured() const { return !key_files.empty() || !inline_keys.empty() || !secret.empty(); }
};

// Every identity of every configured source. `kube` is needed only when a Secret is named;
// `secret_version` then gets the resourceVersion of the Secret read ("absent" when there is none),
// so a caller can tell later whether the keys it tried have changed.
Result<sops::Keyring> LoadKeyring(const DecryptionOptions& options, kube::Api* kube,
                                  std::string* secret_version = nullptr);

// The Secret's resourceVersion ("" when none is configured), to notice a rotated key cheaply.
Result<std::string> KeySecretVersion(const DecryptionOptions& options, kube::Api* kube);

}  // namespace warren::source
