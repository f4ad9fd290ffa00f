// Writes SOPS files the way sops 3.10 does (age recipient, AES-256-GCM values, SHA-512 MAC),
// following the same reference as the reader — for tests and benchmarks that need files beyond
// the published fixtures. Documents are given as ordered JSON; YAML output quotes every string,
// so go-yaml and the manifest reader type the plaintext leaves alike.
#pragma once

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "diff/sops/age.h"
#include "diff/sops/crypto.h"

namespace warren::testing {

struct SopsKey {
  std::string identity;   // AGE-SECRET-KEY-1...
  std::string recipient;  // age1...
  std::string public_key;
};

inline SopsKey NewSopsKey() {
  std::string scalar = sops::RandomBytes(32);
  std::string pub = *sops::X25519Public(scalar);
  return {sops::EncodeIdentity(scalar), sops::EncodeRecipient(pub), pub};
}

struct SopsWriteOptions {
  std::string encrypted_regex = "^(data|stringData)$";  // "" = another rule below, else _unencrypted
  std::string unencrypted_regex, encrypted_suffix;
  std::string lastmodified = "2026-12-01T10:00:00Z";
  std::string version = "3.10.2";
  bool mac_only_encrypted = false;
  // Wraps the data key for one recipient into an armored age file; default: warren's own age
  // writer. Tests plug in the real `age` CLI here.
  std::function<std::string(const SopsKey& key, const std::string& data_key)> wrap;
};

class SopsWriter {
 public:
  using OJson = nlohmann::ordered_json;

  SopsWriter(std::vector<SopsKey> keys, SopsWriteOptions options = {})
      : keys_(std::move(keys)), options_(std::move(options)), data_key_(sops::RandomBytes(32)) {}

  // One YAML stream of `docs`, every document carrying the sops block.
  std::string Yaml(const std::vector<OJson>& docs) {
    std::vector<OJson> sealed = Seal(docs);
    std::string out;
    for (size_t i = 0; i < sealed.size(); ++i) {
      if (i > 0) out += "---\n";
      EmitYaml(sealed[i], 0, &out);
    }
    return out;
  }
  std::string Json(const OJson& doc) { return Seal({doc})[0].dump(2) + "\n"; }

 private:
  bool Encrypts(const std::vector<std::string>& keys) const {
    auto any = [&](auto match) {
      for (const std::string& k : keys)
        if (match(k)) return true;
      return false;
    };
    if (!options_.unencrypted_regex.empty())
      return !any([&](const std::string& k) { return std::regex_search(k, std::regex(options_.unencrypted_regex)); });
    if (!options_.encrypted_suffix.empty())
      return any([&](const std::string& k) {
        const std::string& x = options_.encrypted_suffix;
        return k.size() >= x.size() && k.compare(k.size() - x.size(), x.size(), x) == 0;
      });
    if (options_.encrypted_regex.empty()) {
      for (const std::string& k : keys)
        if (k.size() >= 12 && k.compare(k.size() - 12, 12, "_unencrypted") == 0) return false;
      return true;
    }
    std::regex re(options_.encrypted_regex);
    for (const std::string& k : keys)
      if (std::regex_search(k, re)) return true;
    return false;
  }

  std::string Enc(const std::string& plaintext, const std::string& aad, const std::string& type) const {
    std::string iv = sops::RandomBytes(32), tag;
    std::string data = sops::AesGcmSeal(data_key_, iv, aad, plaintext, &tag);
    return "ENC[AES256_GCM,data:" + sops::EncodeBase64(data, true) + ",iv:" + sops::EncodeBase64(iv, true) +
           ",tag:" + sops::EncodeBase64(tag, true) + ",type:" + type + "]";
  }

  void Walk(OJson& v, std::vector<std::string>& keys, sops::Sha512& mac) const {
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        keys.push_back(it.key());
        Walk(it.value(), keys, mac);
        keys.pop_back();
      }
      return;
    }
    if (v.is_array()) {
      for (auto& item : v) Walk(item, keys, mac);
      return;
    }
    if (v.is_null()) return;
    std::string canonical, type;
    if (v.is_string())
      canonical = v.get<std::string>(), type = "str";
    else if (v.is_boolean())
      canonical = v.get<bool>() ? "True" : "False", type = "bool";
    else if (v.is_number_integer())
      canonical = std::to_string(v.get<int64_t>()), type = "int";
    else
      canonical = v.dump(), type = "float";
    bool encrypted = Encrypts(keys);
    if (!options_.mac_only_encrypted || encrypted) mac.Update(canonical);
    if (!encrypted || (v.is_string() && canonical.empty())) return;
    std::string aad;
    for (const std::string& k : keys) aad += k + ":";
    v = Enc(canonical, aad, type);
  }

  std::vector<OJson> Seal(std::vector<OJson> docs) const {
    sops::Sha512 mac;
    if (options_.mac_only_encrypted) mac.Update(sops::Sha256("sops"));
    for (OJson& d : docs) {
      std::vector<std::string> keys;
      Walk(d, keys, mac);
    }
    OJson block = OJson::object();
    block["age"] = OJson::array();
    for (const SopsKey& k : keys_)
      block["age"].push_back({{"recipient", k.recipient},
                              {"enc", options_.wrap ? options_.wrap(k, data_key_)
                                                    : sops::Armor(sops::EncryptAge(k.public_key, data_key_))}});
    block["lastmodified"] = options_.lastmodified;
    block["mac"] = Enc(sops::HexUpper(mac.Finish()), options_.lastmodified, "str");
    if (!options_.unencrypted_regex.empty())
      block["unencrypted_regex"] = options_.unencrypted_regex;
    else if (!options_.encrypted_suffix.empty())
      block["encrypted_suffix"] = options_.encrypted_suffix;
    else if (options_.encrypted_regex.empty())
      block["unencrypted_suffix"] = "_unencrypted";
    else
      block["encrypted_regex"] = options_.encrypted_regex;
    if (options_.mac_only_encrypted) block["mac_only_encrypted"] = true;
    block["version"] = options_.version;
    for (OJson& d : docs) d["sops"] = block;
    return docs;
  }

  static void EmitYaml(const OJson& v, int indent, std::string* out) {
    std::string pad(static_cast<size_t>(indent), ' ');
    for (auto it = v.begin(); it != v.end(); ++it) {
      const OJson& x = it.value();
      *out += pad + it.key() + ":";
      if (x.is_object() && !x.empty()) {
        *out += "\n";
        EmitYaml(x, indent + 2, out);
      } else if (x.is_array() && !x.empty()) {
        *out += "\n";
        for (const OJson& item : x) {
          if (item.is_object()) {
            std::string nested;
            EmitYaml(item, indent + 4, &nested);
            *out += pad + "  - " + nested.substr(static_cast<size_t>(indent) + 4);
          } else {
            *out += pad + "  - " + Scalar(item) + "\n";
          }
        }
      } else {
        *out += " " + Scalar(x) + "\n";
      }
    }
  }

  static std::string Scalar(const OJson& x) {
    if (x.is_string()) {
      const std::string& s = x.get_ref<const std::string&>();
      if (s.rfind("ENC[", 0) == 0) return s;  // as sops writes it: a plain scalar
      return x.dump();
    }
    return x.dump();
  }

  std::vector<SopsKey> keys_;
  SopsWriteOptions options_;
  std::string data_key_;
};

}  // namespace warren::testing
