// RabbitMQ's password hashes, checked without ever showing a password: the management API gives
// base64(salt ++ H(salt ++ password)), a 4-byte random salt and H the user's hashing_algorithm
// (rabbit_password_hashing_sha256 by default, _sha512, or the legacy _md5).
#pragma once

#include <string>

namespace warren::rabbit {

// True when `password` is the one `password_hash` was made from with `algorithm` ("" = SHA-256).
// False for a hash that does not decode or an algorithm RabbitMQ does not have.
bool PasswordMatches(const std::string& password, const std::string& password_hash, const std::string& algorithm);

// A hash of `password` with the given 4-byte salt, as RabbitMQ computes it (tests, and hashes
// written to definitions files).
std::string HashPassword(const std::string& password, const std::string& salt, const std::string& algorithm);

}  // namespace warren::rabbit
