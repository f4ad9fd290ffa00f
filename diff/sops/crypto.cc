#include "diff/sops/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace warren::sops {
namespace {

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Runs an AEAD open with `ctx` set up for `cipher`; shared by ChaCha20-Poly1305 and AES-GCM.
std::optional<SecretBytes> AeadOpen(const EVP_CIPHER* cipher, std::string_view key, std::string_view iv,
                                    std::string_view aad, std::string_view ciphertext, std::string_view tag) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || tag.size() != 16) return std::nullopt;
  if (EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1) return std::nullopt;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(iv.size()), nullptr) != 1)
    return std::nullopt;
  if (EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(iv)) != 1) return std::nullopt;
  int n = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &n, U(aad), static_cast<int>(aad.size())) != 1)
    return std::nullopt;
  std::string out(ciphertext.size(), '\0');
  if (!ciphertext.empty() && EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                                               U(ciphertext), static_cast<int>(ciphertext.size())) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  std::string tag_copy(tag);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16, tag_copy.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &n) <= 0) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  return SecretBytes(std::move(out));
}

std::string AeadSeal(const EVP_CIPHER* cipher, std::string_view key, std::string_view iv, std::string_view aad,
                     std::string_view plaintext, std::string* tag) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  std::string out(plaintext.size(), '\0');
  tag->assign(16, '\0');
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(iv.size()), nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(iv)) == 1 &&
            (aad.empty() || EVP_EncryptUpdate(ctx.get(), nullptr, &n, U(aad), static_cast<int>(aad.size())) == 1) &&
            (plaintext.empty() || EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                                                    U(plaintext), static_cast<int>(plaintext.size())) == 1) &&
            EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &n) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag->data()) == 1;
  if (!ok) throw std::runtime_error("AEAD seal failed");  // writers only: a broken OpenSSL
  return out;
}

}  // namespace

void SecretBytes::Wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

std::optional<SecretBytes> X25519(std::string_view scalar, std::string_view point) {
  if (scalar.size() != 32 || point.size() != 32) return std::nullopt;
  Pkey priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, U(scalar), 32));
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, U(point), 32));
  if (!priv || !peer) return std::nullopt;
  PkeyCtx ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
  size_t size = 32;
  std::string out(32, '\0');
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size) != 1 || size != 32)
    return std::nullopt;
  SecretBytes shared(std::move(out));
  static const std::string kZero(32, '\0');
  if (SameBytes(shared.view(), kZero)) return std::nullopt;
  return shared;
}

std::optional<std::string> X25519Public(std::string_view scalar) {
  if (scalar.size() != 32) return std::nullopt;
  Pkey priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, U(scalar), 32));
  std::string out(32, '\0');
  size_t size = 32;
  if (!priv || EVP_PKEY_get_raw_public_key(priv.get(), reinterpret_cast<unsigned char*>(out.data()), &size) != 1)
    return std::nullopt;
  return out;
}

SecretBytes HkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info, size_t size) {
  static const std::string kZeroSalt(32, '\0');
  if (salt.empty()) salt = kZeroSalt;
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);
  std::string digest = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  std::string out(size, '\0');
  bool ok = ctx && EVP_KDF_derive(ctx, reinterpret_cast<unsigned char*>(out.data()), size, params) == 1;
  EVP_KDF_CTX_free(ctx);
  if (!ok) throw std::runtime_error("HKDF-SHA-256 unavailable in this OpenSSL");
  return SecretBytes(std::move(out));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t size = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), U(data), data.size(), out,
                 sizeof out, &size))
    throw std::runtime_error("HMAC-SHA-256 unavailable in this OpenSSL");
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::optional<SecretBytes> ChaChaOpen(std::string_view key, std::string_view nonce12, std::string_view sealed) {
  if (key.size() != 32 || nonce12.size() != 12 || sealed.size() < 16) return std::nullopt;
  return AeadOpen(EVP_chacha20_poly1305(), key, nonce12, "", sealed.substr(0, sealed.size() - 16),
                  sealed.substr(sealed.size() - 16));
}

std::string ChaChaSeal(std::string_view key, std::string_view nonce12, std::string_view plaintext) {
  std::string tag;
  std::string out = AeadSeal(EVP_chacha20_poly1305(), key, nonce12, "", plaintext, &tag);
  return out + tag;
}

std::optional<SecretBytes> AesGcmOpen(std::string_view key, std::string_view iv, std::string_view aad,
                                      std::string_view ciphertext, std::string_view tag) {
  if (key.size() != 32 || iv.empty() || iv.size() > 128) return std::nullopt;
  return AeadOpen(EVP_aes_256_gcm(), key, iv, aad, ciphertext, tag);
}

std::string AesGcmSeal(std::string_view key, std::string_view iv, std::string_view aad, std::string_view plaintext,
                       std::string* tag) {
  return AeadSeal(EVP_aes_256_gcm(), key, iv, aad, plaintext, tag);
}

struct Sha512::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha512::Sha512() : ctx_(std::make_unique<Ctx>()) { EVP_DigestInit_ex(ctx_->md, EVP_sha512(), nullptr); }
Sha512::~Sha512() = default;
void Sha512::Update(std::string_view bytes) { EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size()); }
std::string Sha512::Finish() {
  unsigned char out[64];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx_->md, out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string Sha256(std::string_view bytes) {
  unsigned char out[32];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("no randomness from OpenSSL");
  return out;
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
std::string Hex(std::string_view bytes, const char* digits) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}
}  // namespace

std::string HexUpper(std::string_view bytes) { return Hex(bytes, "0123456789ABCDEF"); }
std::string HexLower(std::string_view bytes) { return Hex(bytes, "0123456789abcdef"); }

std::optional<std::string> DecodeBase64Strict(std::string_view text, bool padded) {
  size_t pad = 0;
  if (padded) {
    if (text.size() % 4 != 0) return std::nullopt;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    text.remove_suffix(pad);
  } else if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Base64Value(c);
    if (v < 0) return std::nullopt;  // includes a third '=' or one inside the text
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // not canonical
  if (padded && pad > 0 && (text.size() + pad) % 4 != 0) return std::nullopt;
  if (padded && text.size() % 4 != 0 && 4 - text.size() % 4 != pad) return std::nullopt;
  return out;
}

std::string EncodeBase64(std::string_view bytes, bool padded) {
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (rest == 2) out += kAlphabet[(v >> 6) & 63];
    if (padded) out += rest == 1 ? "==" : "=";
  }
  return out;
}

}  // namespace warren::sops
