#include "diff/sops/sops.h"

#include <openssl/crypto.h>
#include <charconv>
#include <regex>
#include <set>

#include "diff/model/decode.h"
#include "diff/sops/values.h"
#include "diff/sops/yaml_nodes.h"

namespace warren::sops {

// The file's one crypt rule (§3.6 of the reference): which leaves are encrypted, decided by
// every mapping key on the leaf's path.
struct CryptRule {
  enum class Kind { kUnencryptedSuffix, kEncryptedSuffix, kUnencryptedRegex, kEncryptedRegex };
  Kind kind = Kind::kUnencryptedSuffix;
  std::string value = "_unencrypted";
  std::regex re;

  bool Encrypts(const std::vector<std::string>& keys) const {
    bool any = false;
    for (const std::string& k : keys) {
      switch (kind) {
        case Kind::kUnencryptedSuffix:
        case Kind::kEncryptedSuffix:
          any = k.size() >= value.size() && k.compare(k.size() - value.size(), value.size(), value) == 0;
          break;
        case Kind::kUnencryptedRegex:
        case Kind::kEncryptedRegex:
          any = std::regex_search(k, re);
          break;
      }
      if (any) break;
    }
    bool encrypted_when_found = kind == Kind::kEncryptedSuffix || kind == Kind::kEncryptedRegex;
    return any == encrypted_when_found;
  }
};

Opened::Opened() = default;
Opened::~Opened() = default;
Opened::Opened(Opened&&) noexcept = default;
Opened& Opened::operator=(Opened&&) noexcept = default;

namespace {

constexpr size_t kMaxLeaves = 2'000'000;
constexpr int kMaxDepth = 100;

// One leaf of the tree, in walk order (documents, then keys in file order, depth first).
struct Leaf {
  size_t doc = 0;
  std::string pointer;  // where it is, array indexes included
  std::string path;     // for people: stringData.password, containers[0].env
  std::string aad;      // the mapping keys joined by ':' plus a trailing ':'; arrays add nothing
  bool encrypted = false;
  bool is_string = false;
  std::string text;  // the string, or the canonical bytes of a typed plaintext
};

struct Walk {
  const CryptRule* rule = nullptr;
  std::vector<Leaf> leaves;
  std::vector<std::string> keys;
  size_t nodes = 0;
};

Status Refuse(const std::string& why) { return Status::Invalid(why); }

std::string JoinAad(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += k + ":";
  return out;
}

void AddLeaf(Walk* w, size_t doc, const std::string& pointer, const std::string& path, bool is_string,
             std::string text) {
  Leaf l;
  l.doc = doc;
  l.pointer = pointer;
  l.path = path;
  l.aad = JoinAad(w->keys);
  l.encrypted = w->rule->Encrypts(w->keys);
  l.is_string = is_string;
  l.text = std::move(text);
  w->leaves.push_back(std::move(l));
}

std::string ChildPath(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// ---- YAML, through yaml-cpp (it keeps the plain/quoted distinction the MAC depends on) ----

Status WalkYaml(const YAML::Node& n, Walk* w, size_t doc, const std::string& pointer, const std::string& path,
                int depth, bool top) {
  if (++w->nodes > kMaxLeaves) return Status::Limit("the document expands to too many nodes");
  if (depth > kMaxDepth) return Status::Limit("the document nests too deeply");
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Status::Ok();  // nulls are neither decrypted nor in the MAC
    case YAML::NodeType::Sequence: {
      size_t i = 0;
      for (const YAML::Node& item : n) {
        WARREN_RETURN_IF_ERROR(WalkYaml(item, w, doc, pointer + "/" + std::to_string(i),
                                        path + "[" + std::to_string(i) + "]", depth + 1, false));
        ++i;
      }
      return Status::Ok();
    }
    case YAML::NodeType::Map: {
      std::set<std::string> seen;
      for (auto it = n.begin(); it != n.end(); ++it) {
        YAML::Node key = it->first;  // handles: the iterator's pair is a temporary
        YAML::Node value = it->second;
        if (!key.IsScalar())
          return Refuse("a mapping key at " + (path.empty() ? "the top" : path) + " is not a string");
        std::string key_tag = key.Tag();
        if (key_tag == "?" && ResolveYaml12(key.Scalar()).kind != PlainKind::kString)
          return Refuse("the mapping key \"" + key.Scalar() + "\" at " + (path.empty() ? "the top" : path) +
                        " is not a string (quote it)");
        std::string k = key.Scalar();
        if (!seen.insert(k).second) return Refuse("the key " + ChildPath(path, k) + " appears twice");
        if (top && k == "sops") continue;
        w->keys.push_back(k);
        Status s = WalkYaml(value, w, doc, pointer + "/" + EscapePointerToken(k), ChildPath(path, k), depth + 1, false);
        w->keys.pop_back();
        WARREN_RETURN_IF_ERROR(s);
      }
      return Status::Ok();
    }
    case YAML::NodeType::Scalar:
      break;
  }
  std::string tag = n.Tag();  // copies: g++ 12 sees dangling references in yaml-cpp's accessors
  std::string text = n.Scalar();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {
    AddLeaf(w, doc, pointer, path, true, text);
    return Status::Ok();
  }
  if (tag == "tag:yaml.org,2002:binary" || tag == "tag:yaml.org,2002:timestamp")
    return Refuse("the value at " + path + " has the tag " + tag + ", which warren does not read in SOPS files");
  bool standard = tag == "?" || tag.rfind("tag:yaml.org,2002:", 0) == 0;
  if (!standard) {  // a custom tag: sops reads the raw text as a string
    AddLeaf(w, doc, pointer, path, true, text);
    return Status::Ok();
  }
  Plain plain = ResolveYaml12(text);
  switch (plain.kind) {
    case PlainKind::kNull:
      return Status::Ok();
    case PlainKind::kString:
      AddLeaf(w, doc, pointer, path, true, text);
      return Status::Ok();
    case PlainKind::kTimestamp:
      return Refuse("the value at " + path + " is an unquoted date or time; quote it (sops versions disagree on it)");
    case PlainKind::kUnsupported:
      return Refuse("the value at " + path + " is a number sops cannot read (out of range)");
    default:
      AddLeaf(w, doc, pointer, path, false, plain.canonical);
      return Status::Ok();
  }
}

// ---- JSON, through nlohmann::ordered_json (the MAC follows the file's key order) ----

Status WalkJson(const nlohmann::ordered_json& v, Walk* w, const std::string& pointer, const std::string& path,
                int depth, bool top, bool legacy_numbers) {
  if (++w->nodes > kMaxLeaves) return Status::Limit("the document expands to too many nodes");
  if (depth > kMaxDepth) return Status::Limit("the document nests too deeply");
  if (v.is_null()) return Status::Ok();
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i)
      WARREN_RETURN_IF_ERROR(WalkJson(v[i], w, pointer + "/" + std::to_string(i), path + "[" + std::to_string(i) + "]",
                                      depth + 1, false, legacy_numbers));
    return Status::Ok();
  }
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (top && it.key() == "sops") continue;
      w->keys.push_back(it.key());
      Status s = WalkJson(it.value(), w, pointer + "/" + EscapePointerToken(it.key()), ChildPath(path, it.key()),
                          depth + 1, false, legacy_numbers);
      w->keys.pop_back();
      WARREN_RETURN_IF_ERROR(s);
    }
    return Status::Ok();
  }
  if (v.is_string()) {
    AddLeaf(w, 0, pointer, path, true, v.get<std::string>());
  } else if (v.is_boolean()) {
    AddLeaf(w, 0, pointer, path, false, v.get<bool>() ? "True" : "False");
  } else if (v.is_number_integer() && !legacy_numbers) {
    AddLeaf(w, 0, pointer, path, false, v.dump());
  } else if (v.is_number_unsigned() && !legacy_numbers) {
    return Refuse("the number at " + path + " is out of range for sops");
  } else {
    AddLeaf(w, 0, pointer, path, false, FormatGoFloat(v.get<double>()));
  }
  return Status::Ok();
}

// The metadata block as JSON: mappings, sequences and scalars as strings (its few booleans and
// numbers are read from their text).
Json MetadataJson(const YAML::Node& n, int depth = 0) {
  if (depth > 20) return nullptr;
  if (n.IsMap()) {
    Json out = Json::object();
    for (auto it = n.begin(); it != n.end(); ++it)
      if (it->first.IsScalar()) out[it->first.Scalar()] = MetadataJson(it->second, depth + 1);
    return out;
  }
  if (n.IsSequence()) {
    Json out = Json::array();
    for (const YAML::Node& item : n) out.push_back(MetadataJson(item, depth + 1));
    return out;
  }
  if (n.IsScalar()) return n.Scalar();
  return nullptr;
}

Json MetadataJson(const nlohmann::ordered_json& v) { return Json::parse(v.dump()); }

bool Truthy(const Json& v) { return v.is_boolean() ? v.get<bool>() : v.is_string() && v.get<std::string>() == "true"; }

std::string Text(const Json& v) { return v.is_string() ? v.get<std::string>() : ""; }

// Version "3.7.1" → {3, 7, 1}; missing parts are 0.
std::vector<int> VersionParts(const std::string& version) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos < version.size() && out.size() < 3) {
    int n = 0;
    auto [end, ec] = std::from_chars(version.data() + pos, version.data() + version.size(), n);
    if (ec != std::errc()) break;
    out.push_back(n);
    pos = static_cast<size_t>(end - version.data());
    if (pos < version.size() && version[pos] == '.')
      ++pos;
    else
      break;
  }
  while (out.size() < 3) out.push_back(0);
  return out;
}

struct Metadata {
  std::string version;
  std::string lastmodified;  // as the MAC's AAD wants it
  std::string mac;
  bool mac_only_encrypted = false;
  CryptRule rule;
  std::vector<std::pair<std::string, std::string>> age;  // recipient, enc
};

Result<Metadata> ReadMetadata(const Json& sops) {
  Metadata m;
  if (!sops.is_object()) return Refuse("the sops block is not a mapping");
  m.version = Text(Field(sops, "version"));
  if (m.version.empty()) return Refuse("the sops block has no version");
  if (VersionParts(m.version)[0] != 3)
    return Refuse("sops version " + m.version + " is not supported (warren reads files of sops 3.x)");

  // The crypt rule: at most one, and not the comment-driven ones (comments are not kept).
  int rules = 0;
  for (const char* field : {"unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex",
                            "unencrypted_comment_regex", "encrypted_comment_regex"}) {
    std::string value = Text(Field(sops, field));
    if (value.empty()) continue;
    ++rules;
    std::string f = field;
    if (f.find("comment") != std::string::npos)
      return Refuse(f + " is not supported: it depends on YAML comments; use encrypted_regex instead");
    if (f == "unencrypted_suffix") m.rule.kind = CryptRule::Kind::kUnencryptedSuffix;
    if (f == "encrypted_suffix") m.rule.kind = CryptRule::Kind::kEncryptedSuffix;
    if (f == "unencrypted_regex") m.rule.kind = CryptRule::Kind::kUnencryptedRegex;
    if (f == "encrypted_regex") m.rule.kind = CryptRule::Kind::kEncryptedRegex;
    m.rule.value = value;
    if (f.find("regex") != std::string::npos) {
      try {
        m.rule.re = std::regex(value, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        return Refuse(f + " " + value + " is not a regular expression warren can read");
      }
    }
  }
  if (rules > 1) return Refuse("the sops block sets more than one of the *_suffix and *_regex rules");
  m.mac_only_encrypted = Truthy(Field(sops, "mac_only_encrypted"));

  m.mac = Text(Field(sops, "mac"));
  if (m.mac.empty()) return Refuse("the sops block has no mac");
  auto when = LastModifiedAad(Text(Field(sops, "lastmodified")));
  if (!when) return Refuse("the sops block's lastmodified is missing or not an RFC 3339 time");
  m.lastmodified = *when;

  // The key group: the top-level lists when any is non-empty, else the one in key_groups.
  static const char* kLists[] = {"age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"};
  const Json* group = nullptr;
  for (const char* list : kLists) {
    const Json& l = Field(sops, list);
    if (l.is_array() && !l.empty()) group = &sops;
  }
  if (!group) {
    const Json& groups = Field(sops, "key_groups");
    if (groups.is_array() && groups.size() > 1)
      return Refuse("the data key is split across " + std::to_string(groups.size()) +
                    " key_groups (Shamir), which warren does not support");
    if (groups.is_array() && groups.size() == 1) group = &groups[0];
  }
  if (!group) return Refuse("the sops block names no key");
  const Json& age = Field(*group, "age");
  if (age.is_array())
    for (const Json& entry : age) m.age.emplace_back(Text(Field(entry, "recipient")), Text(Field(entry, "enc")));
  if (m.age.empty()) {
    std::string others;
    for (const char* list : kLists) {
      const Json& l = Field(*group, list);
      if (std::string(list) != "age" && l.is_array() && !l.empty())
        others += (others.empty() ? "" : ", ") + std::string(list);
    }
    return Refuse("no age recipient: the data key is wrapped for " + (others.empty() ? "nothing" : others) +
                  " only, which warren does not read");
  }
  return m;
}

// The data key from the first age entry an identity opens.
Result<SecretBytes> DataKey(const Metadata& m, const Keyring& keys) {
  if (keys.empty()) return Refuse("no age identity is configured to decrypt it");
  std::vector<const AgeIdentity*> ids;
  for (const auto& [recipient, _] : m.age)  // the identity the entry names first: fewer X25519s
    for (const AgeIdentity& id : keys.identities)
      if (id.recipient == recipient) ids.push_back(&id);
  for (const AgeIdentity& id : keys.identities)
    if (std::find(ids.begin(), ids.end(), &id) == ids.end()) ids.push_back(&id);
  std::string hard;  // the first failure other than "no match"
  for (const auto& [recipient, enc] : m.age) {
    auto binary = Dearmor(enc);
    if (!binary.ok()) {
      if (hard.empty()) hard = "age entry for " + recipient + ": " + binary.status().message();
      continue;
    }
    AgeResult r = DecryptAge(binary.value(), ids);
    if (r.failure == AgeFailure::kNone) {
      if (r.plaintext.size() != 32)
        return Refuse("the data key in the age entry for " + recipient + " is not 32 bytes");
      return std::move(r.plaintext);
    }
    if (r.failure != AgeFailure::kNoMatch && hard.empty())
      hard = "age entry for " + recipient + ": " + AgeFailureName(r.failure) + ": " + r.reason;
  }
  if (!hard.empty()) return Refuse(hard);
  return Refuse("no identity matched: " + keys.Describe() + " tried against " + std::to_string(m.age.size()) +
                " age recipient(s) (" + m.age.front().first + (m.age.size() > 1 ? ", ..." : "") + ")");
}

struct Parsed {
  Metadata meta;
  Walk walk;
  size_t documents = 0;
};

Result<Parsed> Parse(std::string_view text, Format format) {
  Parsed p;
  // The walk needs the rule before it starts, so the metadata is read first.
  if (format == Format::kJson) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return Refuse("not a JSON object");
    auto it = doc.find("sops");
    if (it == doc.end() || !it->is_object()) return Refuse("no sops block");
    WARREN_ASSIGN_OR_RETURN(p.meta, ReadMetadata(MetadataJson(*it)));
    p.walk.rule = &p.meta.rule;
    bool legacy = VersionParts(p.meta.version) < std::vector<int>{3, 13, 2};
    WARREN_RETURN_IF_ERROR(WalkJson(doc, &p.walk, "", "", 0, true, legacy));
    p.documents = 1;
    return p;
  }
  // What the manifest reader refuses before yaml-cpp sees it (yaml-cpp can stall on some of it).
  WARREN_RETURN_IF_ERROR(CheckYamlCharacters(text, "the file"));
  WARREN_RETURN_IF_ERROR(CheckLeadingCommas(text, "the file"));
  WARREN_ASSIGN_OR_RETURN(std::vector<YAML::Node> docs, LoadYamlNodes(text, "the file"));
  YAML::Node meta;  // a handle (the iterator's pair is a temporary)
  bool found = false;
  if (!docs.empty() && docs[0].IsMap())
    for (auto it = docs[0].begin(); it != docs[0].end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == "sops" && it->second.IsMap()) {
        meta = it->second;
        found = true;
      }
  if (!found) return Refuse("the first document has no sops block");
  WARREN_ASSIGN_OR_RETURN(p.meta, ReadMetadata(MetadataJson(meta)));
  p.walk.rule = &p.meta.rule;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].IsNull()) continue;
    if (!docs[i].IsMap()) return Refuse("document " + std::to_string(i + 1) + " is not a mapping");
    WARREN_RETURN_IF_ERROR(WalkYaml(docs[i], &p.walk, i, "", "", 0, true));
  }
  p.documents = docs.size();
  return p;
}

// An encrypted position must hold an ENC[...] value, or "" (sops never encrypts an empty string).
Status CheckSealed(const Leaf& l) {
  if (l.is_string && (l.text.empty() || l.text.rfind("ENC[", 0) == 0)) return Status::Ok();
  return Refuse("bad value at " + l.path + ": plaintext where the file's rule says the value is encrypted");
}

// The typed value and canonical bytes of one decrypted leaf.
Result<std::pair<Json, std::string>> DecryptLeaf(const Leaf& l, const SecretBytes& key) {
  auto bad = [&](const std::string& why) { return Refuse("bad value at " + l.path + ": " + why); };
  auto enc = ParseEnc(l.text);
  if (!enc) return bad("not a well-formed ENC[AES256_GCM,...] value");
  auto plain = AesGcmOpen(key.view(), enc->iv, l.aad, enc->data, enc->tag);
  if (!plain) return bad("authentication failed (a wrong key, or the value was changed or moved to another key)");
  auto typed = DecodeTyped(plain->bytes(), enc->type);
  if (!typed) return bad("the plaintext is not a valid " + enc->type);
  return std::move(*typed);
}

}  // namespace

void Keyring::Add(IdentitySet set, const std::string& source) {
  skipped += set.skipped;
  if (set.identities.empty()) return;
  for (AgeIdentity& id : set.identities) identities.push_back(std::move(id));
  sources.push_back(source);
}

std::string Keyring::Describe() const {
  if (identities.empty()) return "no age identity";
  std::string out = std::to_string(identities.size()) + (identities.size() == 1 ? " age identity" : " age identities");
  std::string from;
  for (const std::string& s : sources) from += (from.empty() ? "" : ", ") + s;
  return out + " (from " + from + ")";
}

bool IsDecryptionError(const Status& s) {
  return s.message().find("cannot decrypt (SOPS)") != std::string::npos ||
         s.message().find("is encrypted with SOPS") != std::string::npos;
}

Result<Opened> Open(std::string_view text, Format format, const Keyring& keys) {
  WARREN_ASSIGN_OR_RETURN(Parsed p, Parse(text, format));
  Opened out;
  out.version = p.meta.version;
  out.documents = p.documents;
  WARREN_ASSIGN_OR_RETURN(out.data_key, DataKey(p.meta, keys));
  Sha512 mac;
  if (p.meta.mac_only_encrypted) mac.Update(Sha256("sops"));
  for (const Leaf& l : p.walk.leaves) {
    if (!l.encrypted) {
      if (!p.meta.mac_only_encrypted) mac.Update(l.text);
      continue;
    }
    WARREN_RETURN_IF_ERROR(CheckSealed(l));
    if (l.text.empty()) {
      out.values.push_back({l.doc, l.pointer, ""});
      continue;
    }
    WARREN_ASSIGN_OR_RETURN(auto typed, DecryptLeaf(l, out.data_key));
    mac.Update(typed.second);
    OPENSSL_cleanse(typed.second.data(), typed.second.size());
    out.values.push_back({l.doc, l.pointer, std::move(typed.first)});
  }
  auto stored = ParseEnc(p.meta.mac);
  if (!stored) return Refuse("the sops block's mac is not a well-formed ENC value");
  auto want = AesGcmOpen(out.data_key.view(), stored->iv, p.meta.lastmodified, stored->data, stored->tag);
  if (!want)
    return Refuse("MAC mismatch: the stored MAC does not open with the data key (lastmodified or mac changed)");
  if (!SameBytes(want->view(), HexUpper(mac.Finish())))
    return Refuse("MAC mismatch: the file was changed after it was encrypted (a value, or the order of keys)");
  out.rule = std::make_unique<CryptRule>(p.meta.rule);
  return out;
}

Result<Opened> Inspect(std::string_view text, Format format) {
  WARREN_ASSIGN_OR_RETURN(Parsed p, Parse(text, format));
  for (const auto& [recipient, enc] : p.meta.age) {
    auto binary = Dearmor(enc);
    if (!binary.ok()) return binary.status().WithContext("age entry for " + recipient);
    auto types = AgeStanzaTypes(binary.value());
    if (!types.ok()) return types.status().WithContext("age entry for " + recipient);
  }
  if (!ParseEnc(p.meta.mac)) return Refuse("the sops block's mac is not a well-formed ENC value");
  Opened out;
  out.version = p.meta.version;
  out.documents = p.documents;
  for (const Leaf& l : p.walk.leaves) {
    if (!l.encrypted) continue;
    WARREN_RETURN_IF_ERROR(CheckSealed(l));
    if (!l.text.empty() && !ParseEnc(l.text))
      return Refuse("bad value at " + l.path + ": not a well-formed ENC[AES256_GCM,...] value");
    out.values.push_back({l.doc, l.pointer, nullptr});
  }
  out.rule = std::make_unique<CryptRule>(p.meta.rule);
  return out;
}

Status DecryptBuilt(Json* doc, const Opened& origin) {
  if (!origin.rule || origin.data_key.empty()) return Status::Internal("DecryptBuilt: the origin was not opened");
  doc->erase("sops");
  nlohmann::ordered_json copy = nlohmann::ordered_json::parse(doc->dump());
  Walk w;
  w.rule = origin.rule.get();
  WARREN_RETURN_IF_ERROR(WalkJson(copy, &w, "", "", 0, true, false));
  for (const Leaf& l : w.leaves) {
    if (!l.encrypted) continue;
    WARREN_RETURN_IF_ERROR(CheckSealed(l));
    if (l.text.empty()) continue;
    WARREN_ASSIGN_OR_RETURN(auto typed, DecryptLeaf(l, origin.data_key));
    OPENSSL_cleanse(typed.second.data(), typed.second.size());
    (*doc)[Json::json_pointer(l.pointer)] = std::move(typed.first);
  }
  return Status::Ok();
}

}  // namespace warren::sops
