// Object: one Kubernetes or RabbitMQ document as parsed JSON, with where it came from.
//
// Identity follows the API server: group, version, kind, namespace and name. Pairing ignores the
// version (an object written as apps/v1beta1 is the same object as the live apps/v1 one), so
// ResourceKey leaves it out.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "diff/model/sorted_map.h"
#include "diff/model/source_location.h"

namespace warren {

// nlohmann::json with its objects kept in a sorted vector (see sorted_map.h).
using Json = nlohmann::basic_json<SortedMap>;

// Splits "apps/v1" into {"apps","v1"} and "v1" into {"","v1"}.
std::pair<std::string, std::string> SplitApiVersion(const std::string& api_version);

struct ResourceKey {
  std::string group;
  std::string kind;
  std::string ns;  // empty for cluster-scoped kinds
  std::string name;

  auto operator<=>(const ResourceKey&) const = default;
  // "Kind ns/name", or "Kind name" when cluster-scoped: the one format used in all output.
  std::string ToString() const;
};

// Line and column of every node of a YAML document, by JSON Pointer. Recorded only when the
// loader is asked to (lint needs it; the diff of 10,000 objects does not).
using PositionIndex = std::map<std::string, SourceLocation, std::less<>>;

// A document kept as text until it is read (see Object::FromText): a captured live List's items.
struct DocumentText {
  std::shared_ptr<const std::string> text;  // shared by the items of one file
  size_t offset = 0, size = 0;              // this document's JSON in it
  // What is known without reading it, which the tree read takes as it is: apiVersion, kind and
  // metadata's name and namespace, as the loader settled them (a List's kind, a default namespace).
  Json head;
};

// Copies share the document until one of them is changed (copy on write): the agent hands the
// same desired and live objects to several stages and lanes, and a copy of each tree for each
// would be most of its memory. A reference from mutable_doc() is only good until the object is
// next copied.
class Object {
 public:
  Object() : doc_(Empty()) {}
  Object(Json doc, SourceLocation where) : doc_(std::make_shared<Json>(std::move(doc))), where_(std::move(where)) {}
  // An object whose tree is made only when something reads it: its identity is known from
  // `text.head`. The JSON must be an object FastDecodeJson accepts (FastSkimJsonList's items are).
  static Object FromText(DocumentText text, SourceLocation where);

  // A deferred document's tree is made on the first call and kept (by all copies) from then on.
  const Json& doc() const { return deferred_ ? DeferredDoc() : *doc_; }
  Json& mutable_doc();
  // This object with its tree made. For one still kept as text, the tree is read into the copy
  // returned and not kept here: each of 10,000 live objects can be read, diffed and let go.
  Object Parsed() const;
  bool deferred() const { return deferred_ != nullptr; }  // kept as text, no tree made yet
  const SourceLocation& where() const { return where_; }
  void set_where(SourceLocation where) { where_ = std::move(where); }

  std::string api_version() const { return StringAt("apiVersion"); }
  std::string kind() const { return StringAt("kind"); }
  std::string group() const { return SplitApiVersion(api_version()).first; }
  std::string version() const { return SplitApiVersion(api_version()).second; }
  std::string name() const;
  std::string ns() const;  // metadata.namespace, possibly empty

  ResourceKey key() const { return {group(), kind(), ns(), name()}; }

  // Where the node at `pointer` was written; the nearest recorded ancestor when it was not
  // recorded (or the object's own location without a PositionIndex).
  SourceLocation LocationOf(const std::string& pointer) const;
  // `base` is the pointer of this object inside the document (e.g. "/items/3" for a List item).
  void set_positions(std::shared_ptr<const PositionIndex> p, std::string base = "") {
    positions_ = std::move(p);
    positions_base_ = std::move(base);
  }

  // The JSON Pointers of this object's values that git holds encrypted (SOPS); empty for a
  // plaintext file. The values themselves are already decrypted; lint, the loader's ciphertext
  // check and the diff's masking read which they were.
  const std::vector<std::string>& encrypted() const;
  void set_encrypted(std::vector<std::string> pointers);

 private:
  struct Deferred;
  std::string StringAt(const char* field) const;
  const Json& Identity() const;  // the head of a deferred document, else the document
  const Json& DeferredDoc() const;
  static const std::shared_ptr<Json>& Empty();

  std::shared_ptr<Json> doc_;           // never null; shared by copies until written
  std::shared_ptr<Deferred> deferred_;  // set while the document is kept as text
  SourceLocation where_;
  std::shared_ptr<const PositionIndex> positions_;
  std::string positions_base_;
  std::shared_ptr<const std::vector<std::string>> encrypted_;
};

// True for the kinds the API server keeps outside namespaces (Namespace, ClusterRole, ...).
bool IsClusterScoped(const std::string& group, const std::string& kind);

// RFC 6901 escaping of one JSON Pointer token: "~" -> "~0", "/" -> "~1".
std::string EscapePointerToken(const std::string& token);

// A list kept a line long whatever its length: "a, b, c and 97 more" (log lines, findings, notes).
std::string FirstNames(const std::vector<std::string>& names, size_t shown = 3);

// True when JSON Pointer `path` is `prefix` or below it ("/spec/x" is under "/spec", "/specs" is not).
bool PointerUnder(const std::string& path, const std::string& prefix);

// Returns obj[key] without copying, or a null value when absent. Safe on non-objects. Prefer it
// to Json::value(), which copies the whole subtree.
const Json& Field(const Json& obj, const char* key);

// Returns the string at obj[key] or "" when absent or not a string. Safe on non-objects.
const std::string& StringField(const Json& obj, const char* key);

// Returns the boolean at obj[key], or `otherwise` when absent or not a boolean. Safe on
// non-objects: what another system sent may have any shape, and Json::value() throws on a wrong one.
bool BoolField(const Json& obj, const char* key, bool otherwise);

// The strings of a JSON array (node names, say); anything else in it is skipped, a non-array is empty.
std::vector<std::string> StringList(const Json& list);

// One value of a core Secret's `data` or `stringData` that git held in plain text (not among
// `encrypted()`), in document order: data first, then stringData.
struct PlainSecretValue {
  std::string field;    // "data" or "stringData"
  std::string key;      // the entry's key
  std::string pointer;  // "/data/<key>" (escaped)
  const Json* value;    // into the object's document
};
std::vector<PlainSecretValue> PlainSecretValues(const Object& o);

}  // namespace warren
