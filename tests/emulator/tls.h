// The emulator's PKI, generated at start: a CA, a serving certificate for 127.0.0.1/localhost, and
// client certificates (CN = user, O = groups) as kubeadm issues them to administrators.
#pragma once

#include <string>
#include <vector>

namespace emulator {

struct KeyPair {
  std::string cert_pem, key_pem;
};

struct Pki {
  KeyPair ca;
  KeyPair server;
};

// Throws std::runtime_error when OpenSSL fails (the emulator cannot start without TLS).
Pki MakePki();
KeyPair IssueClientCert(const Pki& pki, const std::string& user, const std::vector<std::string>& groups);

}  // namespace emulator
