#include "diff/model/object.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include "diff/model/fast_json.h"

namespace warren {

std::pair<std::string, std::string> SplitApiVersion(const std::string& api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string::npos) return {"", api_version};
  return {api_version.substr(0, slash), api_version.substr(slash + 1)};
}

std::string ResourceKey::ToString() const {
  if (ns.empty()) return kind + " " + name;
  return kind + " " + ns + "/" + name;
}

std::string EscapePointerToken(const std::string& token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string FirstNames(const std::vector<std::string>& names, size_t shown) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
  return out;
}

bool PointerUnder(const std::string& path, const std::string& prefix) {
  return path.size() >= prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

const Json& Field(const Json& obj, const char* key) {
  static const Json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(std::string_view(key));  // measured once, not at each step of the search
  return it == obj.end() ? kNull : *it;
}

const std::string& StringField(const Json& obj, const char* key) {
  static const std::string kEmpty;
  if (!obj.is_object()) return kEmpty;
  auto it = obj.find(std::string_view(key));
  if (it == obj.end() || !it->is_string()) return kEmpty;
  return it->get_ref<const std::string&>();
}

bool BoolField(const Json& obj, const char* key, bool otherwise) {
  const Json& v = Field(obj, key);
  return v.is_boolean() ? v.get<bool>() : otherwise;
}

std::vector<std::string> StringList(const Json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const Json& s : list)
    if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

const std::shared_ptr<Json>& Object::Empty() {
  static const auto* empty = new std::shared_ptr<Json>(std::make_shared<Json>());
  return *empty;
}

// The text, and the tree doc() made of it (once, whichever copy asked first).
struct Object::Deferred {
  DocumentText text;
  std::once_flag once;
  std::unique_ptr<const Json> tree;

  Json Read() const {
    Json doc = ParseJson(std::string_view(*text.text).substr(text.offset, text.size));
    if (!doc.is_object()) throw std::logic_error("a document kept as text is not a JSON object");
    for (const char* field : {"apiVersion", "kind"}) doc[field] = Field(text.head, field);
    const Json& head_meta = Field(text.head, "metadata");
    Json& meta = doc["metadata"];
    for (const char* field : {"name", "namespace"})
      if (head_meta.contains(field)) meta[field] = head_meta[field];
    return doc;
  }
};

Object Object::FromText(DocumentText text, SourceLocation where) {
  Object out;
  out.deferred_ = std::make_shared<Deferred>();
  out.deferred_->text = std::move(text);
  out.where_ = std::move(where);
  return out;
}

const Json& Object::DeferredDoc() const {
  std::call_once(deferred_->once, [&] { deferred_->tree = std::make_unique<const Json>(deferred_->Read()); });
  return *deferred_->tree;
}

Object Object::Parsed() const {
  Object out = *this;
  if (deferred_) out.mutable_doc();  // the copy reads a tree of its own; this one stays text
  return out;
}

const Json& Object::Identity() const { return deferred_ ? deferred_->text.head : *doc_; }

Json& Object::mutable_doc() {
  if (deferred_) {  // its own tree from the text (another copy may have made and be reading one)
    doc_ = std::make_shared<Json>(deferred_->Read());
    deferred_.reset();
    return *doc_;
  }
  // Shared with another copy (or the empty document): this object gets its own tree first. The
  // tree is only ever written through here, so a document with one owner is this object's alone.
  if (doc_.use_count() != 1)
    doc_ = std::make_shared<Json>(*doc_);
  else
    std::atomic_thread_fence(std::memory_order_acquire);  // after the last other owner let go
  return *doc_;
}

std::string Object::StringAt(const char* field) const { return StringField(Identity(), field); }

std::string Object::name() const { return StringField(Field(Identity(), "metadata"), "name"); }

std::string Object::ns() const { return StringField(Field(Identity(), "metadata"), "namespace"); }

SourceLocation Object::LocationOf(const std::string& pointer) const {
  if (!positions_) return where_;
  std::string p = positions_base_ + pointer;
  while (true) {
    auto it = positions_->find(p);
    if (it != positions_->end()) return it->second;
    if (p.empty()) return where_;
    auto slash = p.rfind('/');
    p = slash == std::string::npos ? "" : p.substr(0, slash);
  }
}

bool IsClusterScoped(const std::string& group, const std::string& kind) {
  struct GK {
    std::string_view group, kind;
  };
  static constexpr std::array<GK, 16> kClusterScoped = {{
      {"", "Namespace"},
      {"", "Node"},
      {"", "PersistentVolume"},
      {"", "ComponentStatus"},
      {"rbac.authorization.k8s.io", "ClusterRole"},
      {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
      {"storage.k8s.io", "StorageClass"},
      {"storage.k8s.io", "CSIDriver"},
      {"storage.k8s.io", "VolumeAttachment"},
      {"apiextensions.k8s.io", "CustomResourceDefinition"},
      {"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
      {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
      {"scheduling.k8s.io", "PriorityClass"},
      {"networking.k8s.io", "IngressClass"},
      {"apiregistration.k8s.io", "APIService"},
      {"certificates.k8s.io", "CertificateSigningRequest"},
  }};
  for (const auto& gk : kClusterScoped)
    if (gk.group == group && gk.kind == kind) return true;
  return false;
}

const std::vector<std::string>& Object::encrypted() const {
  static const std::vector<std::string> kNone;
  return encrypted_ ? *encrypted_ : kNone;
}

void Object::set_encrypted(std::vector<std::string> pointers) {
  if (pointers.empty())
    encrypted_.reset();
  else
    encrypted_ = std::make_shared<const std::vector<std::string>>(std::move(pointers));
}

std::vector<PlainSecretValue> PlainSecretValues(const Object& o) {
  std::vector<PlainSecretValue> out;
  if (!o.group().empty() || o.kind() != "Secret") return out;
  const std::vector<std::string>& sealed = o.encrypted();
  for (const char* field : {"data", "stringData"}) {
    const Json& values = Field(o.doc(), field);
    if (!values.is_object()) continue;
    for (auto it = values.begin(); it != values.end(); ++it) {
      std::string pointer = std::string("/") + field + "/" + EscapePointerToken(it.key());
      if (std::find(sealed.begin(), sealed.end(), pointer) != sealed.end()) continue;
      out.push_back({field, it.key(), std::move(pointer), &it.value()});
    }
  }
  return out;
}

}  // namespace warren
