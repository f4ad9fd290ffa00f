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

// Copies share the document until one of them is changed (copy on write): the agent hands the
// same desired and live objects to several stages and lanes, and a copy of each tree for each
// would be most of its memory. A reference from mutable_doc() is only good until the object is
// next copied.
class Object {
 public:
  Object() : doc_(Empty()) {}
  Object(Json doc, SourceLocation where) : doc_(std::make_shared<Json>(std::move(doc))), where_(std::move(where)) {}

  const Json& doc() const { return *doc_; }
  Json& mutable_doc();
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
  std::string StringAt(const char* field) const;
  static const std::shared_ptr<Json>& Empty();

  std::shared_ptr<Json> doc_;  // never null; shared by copies until written
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
