#include "agent/git/ssh_signature.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "diff/model/base64.h"

namespace warren::git {
namespace {

// Reads SSH wire-format fields: uint32 and length-prefixed strings.
class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  bool U32(uint32_t* v) {
    if (i_ + 4 > s_.size()) return false;
    *v = (static_cast<uint32_t>(static_cast<unsigned char>(s_[i_])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s_[i_ + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s_[i_ + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(s_[i_ + 3]));
    i_ += 4;
    return true;
  }
  bool String(std::string* out) {
    uint32_t n;
    if (!U32(&n) || i_ + n > s_.size()) return false;
    *out = s_.substr(i_, n);
    i_ += n;
    return true;
  }
  bool Bytes(size_t n, std::string* out) {
    if (i_ + n > s_.size()) return false;
    *out = s_.substr(i_, n);
    i_ += n;
    return true;
  }
  bool Done() const { return i_ == s_.size(); }

 private:
  const std::string& s_;
  size_t i_ = 0;
};

std::string SshString(const std::string& s) {
  std::string out(4, '\0');
  uint32_t n = static_cast<uint32_t>(s.size());
  out[0] = static_cast<char>(n >> 24);
  out[1] = static_cast<char>(n >> 16);
  out[2] = static_cast<char>(n >> 8);
  out[3] = static_cast<char>(n);
  return out + s;
}

std::string Digest(const EVP_MD* md, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

// "SHA256:" + unpadded base64 of the key's hash, as ssh-keygen -l prints it.
std::string Fingerprint(const std::string& key_blob) {
  return "SHA256:" + Base64Encode(Digest(EVP_sha256(), key_blob), /*pad=*/false);
}

using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// An OpenSSL key from an SSH public key blob (ssh-ed25519 or ssh-rsa).
Pkey PublicKey(const std::string& blob) {
  Reader r(blob);
  std::string type;
  if (!r.String(&type)) return {nullptr, EVP_PKEY_free};
  if (type == "ssh-ed25519") {
    std::string key;
    if (!r.String(&key) || key.size() != 32) return {nullptr, EVP_PKEY_free};
    return {
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(key.data()), 32),
        EVP_PKEY_free};
  }
  if (type == "ssh-rsa") {
    std::string e, n;
    if (!r.String(&e) || !r.String(&n)) return {nullptr, EVP_PKEY_free};
    BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
    BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY* pkey = nullptr;
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1) EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_e);
    BN_free(bn_n);
    return {pkey, EVP_PKEY_free};
  }
  return {nullptr, EVP_PKEY_free};
}

bool Verify(EVP_PKEY* key, const EVP_MD* md, const std::string& sig, const std::string& data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

// Splits a line into whitespace-separated tokens, keeping "quoted strings" together.
std::vector<std::string> Tokens(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if ((c == ' ' || c == '\t') && !quoted) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool IsKeyType(const std::string& t) {
  return t.rfind("ssh-", 0) == 0 || t.rfind("ecdsa-", 0) == 0 || t.rfind("sk-", 0) == 0;
}

}  // namespace

Result<std::vector<AllowedSigner>> ParseAllowedSigners(const std::string& text, const std::string& file) {
  std::vector<AllowedSigner> out;
  std::stringstream in(text);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    std::vector<std::string> t = Tokens(line.substr(start));
    std::string where = file + ":" + std::to_string(number);
    if (t.size() < 3) return Status::Invalid(where + ": expected \"principals [options] keytype key\"");
    AllowedSigner s;
    std::string principals = t[0];
    if (principals.size() >= 2 && principals.front() == '"') principals = principals.substr(1, principals.size() - 2);
    s.principals = SplitList(principals);
    size_t k = 1;
    if (!IsKeyType(t[1])) {  // options
      for (const std::string& opt : SplitList(t[1])) {
        if (opt == "cert-authority") return Status::Invalid(where + ": cert-authority lines are not supported");
        if (opt.rfind("namespaces=", 0) == 0) {
          std::string v = opt.substr(11);
          if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
          s.namespaces = SplitList(v);
        }
      }
      k = 2;
    }
    if (k + 1 >= t.size()) return Status::Invalid(where + ": no key after the options");
    s.key_type = t[k];
    auto blob = Base64Decode(t[k + 1]);
    if (!blob) return Status::Invalid(where + ": the key is not base64");
    s.key_blob = *blob;
    out.push_back(std::move(s));
  }
  return out;
}

Result<VerifiedSignature> VerifySshSignature(const std::string& armored, const std::string& data,
                                             const std::vector<AllowedSigner>& signers) {
  static const std::string kBegin = "-----BEGIN SSH SIGNATURE-----", kEnd = "-----END SSH SIGNATURE-----";
  size_t b = armored.find(kBegin), e = armored.find(kEnd);
  if (b == std::string::npos || e == std::string::npos || e < b)
    return Status::Invalid("not an SSH signature (gpg.format=ssh); PGP and X.509 signatures are not accepted");
  auto blob = Base64Decode(armored.substr(b + kBegin.size(), e - b - kBegin.size()));
  if (!blob) return Status::Invalid("the SSH signature is not valid base64");
  Reader r(*blob);
  std::string magic, pubkey, ns, reserved, hash_alg, signature;
  uint32_t version = 0;
  if (!r.Bytes(6, &magic) || magic != "SSHSIG" || !r.U32(&version) || version != 1 || !r.String(&pubkey) ||
      !r.String(&ns) || !r.String(&reserved) || !r.String(&hash_alg) || !r.String(&signature) || !r.Done())
    return Status::Invalid("the SSH signature is malformed");
  if (ns != "git") return Status::Invalid("the SSH signature is for namespace \"" + ns + "\", not \"git\"");
  const EVP_MD* hash = hash_alg == "sha512" ? EVP_sha512() : hash_alg == "sha256" ? EVP_sha256() : nullptr;
  if (!hash) return Status::Invalid("the SSH signature uses an unknown hash \"" + hash_alg + "\"");
  std::string fingerprint = Fingerprint(pubkey);
  const AllowedSigner* signer = nullptr;
  for (const AllowedSigner& s : signers) {
    if (s.key_blob != pubkey) continue;
    if (!s.namespaces.empty() && std::find(s.namespaces.begin(), s.namespaces.end(), "git") == s.namespaces.end())
      continue;
    signer = &s;
    break;
  }
  if (!signer)
    return Status(StatusCode::kForbidden, "signed by a key that is not in allowed_signers (" + fingerprint + ")");

  Reader sr(signature);
  std::string sig_type, sig_blob;
  if (!sr.String(&sig_type) || !sr.String(&sig_blob)) return Status::Invalid("the SSH signature is malformed");
  std::string signed_data =
      "SSHSIG" + SshString(ns) + SshString(reserved) + SshString(hash_alg) + SshString(Digest(hash, data));
  Pkey key = PublicKey(pubkey);
  if (!key) return Status::Invalid("unsupported SSH key type in the signature (" + fingerprint + ")");
  const EVP_MD* sig_md = nullptr;  // Ed25519 hashes internally
  if (sig_type == "rsa-sha2-512")
    sig_md = EVP_sha512();
  else if (sig_type == "rsa-sha2-256")
    sig_md = EVP_sha256();
  else if (sig_type != "ssh-ed25519")
    return Status::Invalid("unsupported SSH signature algorithm \"" + sig_type + "\"");
  if (!Verify(key.get(), sig_md, sig_blob, signed_data))
    return Status(StatusCode::kForbidden,
                  "the signature does not match the signed content (" + fingerprint + "): tampered?");
  return VerifiedSignature{signer->principals.empty() ? "" : signer->principals[0], fingerprint};
}

}  // namespace warren::git
