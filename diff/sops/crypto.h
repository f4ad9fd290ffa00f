// The primitives age and SOPS are built on, over OpenSSL 3: X25519, HKDF-SHA-256,
// ChaCha20-Poly1305, AES-256-GCM, HMAC-SHA-256 and SHA-512, plus the strict base64 both formats
// require. Key material lives in SecretBytes, wiped when it goes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace warren::sops {

// Bytes that must not outlive their use (identities, file keys, data keys, plaintexts): wiped
// with OPENSSL_cleanse on destruction and on assignment.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.Wipe(); }
  SecretBytes& operator=(SecretBytes other) noexcept {
    Wipe();
    bytes_.swap(other.bytes_);
    return *this;
  }
  ~SecretBytes() { Wipe(); }

  const std::string& bytes() const { return bytes_; }
  std::string_view view() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  void Wipe();
  std::string bytes_;
};

// X25519(scalar, point) as RFC 7748 defines it (the scalar is clamped inside). nullopt when
// OpenSSL refuses the point or the result is all zeros (a low-order point).
std::optional<SecretBytes> X25519(std::string_view scalar, std::string_view point);
// The public key of a 32-byte X25519 scalar: X25519(scalar, 9).
std::optional<std::string> X25519Public(std::string_view scalar);

// HKDF-SHA-256, extract and expand, `size` bytes. An empty salt is 32 zero bytes (RFC 5869).
SecretBytes HkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info, size_t size = 32);

std::string HmacSha256(std::string_view key, std::string_view data);

// ChaCha20-Poly1305 open: `sealed` is ciphertext || 16-byte tag; no AAD. nullopt when the tag fails.
std::optional<SecretBytes> ChaChaOpen(std::string_view key, std::string_view nonce12, std::string_view sealed);
// The other direction, for writers (tests, benchmarks): ciphertext || tag.
std::string ChaChaSeal(std::string_view key, std::string_view nonce12, std::string_view plaintext);

// AES-256-GCM open with an IV of any length (SOPS uses 32 bytes) and a separate 16-byte tag.
std::optional<SecretBytes> AesGcmOpen(std::string_view key, std::string_view iv, std::string_view aad,
                                      std::string_view ciphertext, std::string_view tag);
// The other direction: returns ciphertext and writes the tag.
std::string AesGcmSeal(std::string_view key, std::string_view iv, std::string_view aad, std::string_view plaintext,
                       std::string* tag);

// An incremental SHA-512 (the SOPS MAC).
class Sha512 {
 public:
  Sha512();
  ~Sha512();
  Sha512(const Sha512&) = delete;
  Sha512& operator=(const Sha512&) = delete;
  void Update(std::string_view bytes);
  std::string Finish();  // 64 bytes

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string Sha256(std::string_view bytes);
std::string RandomBytes(size_t n);

// Constant-time equality of two byte strings of the same length (false when lengths differ).
bool SameBytes(std::string_view a, std::string_view b);

std::string HexUpper(std::string_view bytes);
std::string HexLower(std::string_view bytes);

// Strict base64 (RFC 4648 standard alphabet), as age and SOPS write it: canonical only (unused
// bits zero), no whitespace. `padded`: "=" padding required (armor, ENC fields); otherwise it is
// forbidden (age header). nullopt on anything else.
std::optional<std::string> DecodeBase64Strict(std::string_view text, bool padded);
std::string EncodeBase64(std::string_view bytes, bool padded);

}  // namespace warren::sops
