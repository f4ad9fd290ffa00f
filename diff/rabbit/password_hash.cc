#include "diff/rabbit/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "diff/model/base64.h"

namespace warren::rabbit {
namespace {

const EVP_MD* Digest(const std::string& algorithm) {
  if (algorithm.empty() || algorithm == "rabbit_password_hashing_sha256") return EVP_sha256();
  if (algorithm == "rabbit_password_hashing_sha512") return EVP_sha512();
  if (algorithm == "rabbit_password_hashing_md5") return EVP_md5();
  return nullptr;
}

std::string Hash(const EVP_MD* md, const std::string& salted) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(salted.data(), salted.size(), out, &size, md, nullptr) != 1) return "";
  return std::string(reinterpret_cast<const char*>(out), size);
}

}  // namespace

bool PasswordMatches(const std::string& password, const std::string& password_hash, const std::string& algorithm) {
  const EVP_MD* md = Digest(algorithm);
  auto raw = Base64Decode(password_hash);
  if (!md || !raw || raw->size() != 4 + static_cast<size_t>(EVP_MD_get_size(md))) return false;
  std::string salt = raw->substr(0, 4);
  std::string want = Hash(md, salt + password);
  return want.size() == raw->size() - 4 && CRYPTO_memcmp(want.data(), raw->data() + 4, want.size()) == 0;
}

std::string HashPassword(const std::string& password, const std::string& salt, const std::string& algorithm) {
  const EVP_MD* md = Digest(algorithm);
  if (!md || salt.size() != 4) return "";
  return Base64Encode(salt + Hash(md, salt + password));
}

}  // namespace warren::rabbit
