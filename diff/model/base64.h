// Standard base64 (RFC 4648): Secret data, kubeconfig *-data fields, SSH keys and signatures.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace warren {

// With "=" padding, as Kubernetes writes Secret data; unpadded as OpenSSH prints fingerprints.
std::string Base64Encode(std::string_view bytes, bool pad = true);

// Lenient as the places it reads from are: padding, spaces and line breaks are skipped, and the
// URL-safe alphabet ("-", "_") is accepted. nullopt on any other character.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace warren
