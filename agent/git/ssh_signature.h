// SSH signatures on git objects (gpg.format=ssh): the SSHSIG format of OpenSSH's PROTOCOL.sshsig,
// checked with OpenSSL against a git `allowed_signers` file. Ed25519 and RSA (rsa-sha2-256/512)
// keys; the namespace must be "git". Nothing is trusted that is not in allowed_signers.
#pragma once

#include <string>
#include <vector>

#include "diff/model/status.h"

namespace warren::git {

struct AllowedSigner {
  std::vector<std::string> principals;
  std::string key_type;                 // ssh-ed25519, ssh-rsa, ...
  std::string key_blob;                 // the decoded public key
  std::vector<std::string> namespaces;  // empty: any
};

// Parses an allowed_signers file (principals [options] keytype base64 [comment]). Lines this
// reader cannot honour (cert-authority) are errors naming the line, not silently skipped.
Result<std::vector<AllowedSigner>> ParseAllowedSigners(const std::string& text, const std::string& file);

struct VerifiedSignature {
  std::string principal;    // the first principal of the matching allowed_signers line
  std::string fingerprint;  // SHA256:... of the signing key
};

// Verifies an armored SSH signature ("-----BEGIN SSH SIGNATURE-----") over `data`. Errors say
// which check failed: not an SSH signature, wrong namespace, unknown key (with its fingerprint),
// bad signature.
Result<VerifiedSignature> VerifySshSignature(const std::string& armored, const std::string& data,
                                             const std::vector<AllowedSigner>& signers);

}  // namespace warren::git
