// Loading manifests: files and directories (recursively: .yaml, .yml, .json; a directory holding a
// kustomization is built instead, see kustomize.h), multi-document YAML,
// `kind: List` and `*List` flattened, empty documents skipped. Every object must have apiVersion,
// kind and metadata.name; two objects with the same identity are an error naming both places.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "diff/model/decode.h"
#include "diff/model/file_tree.h"
#include "diff/model/kustomize.h"
#include "diff/model/object.h"

namespace warren {

// Decrypts SOPS files as the loader meets them (diff/sops implements it): the loader finds the
// files, the Decryptor opens them. Without one, a SOPS file is an error, so ciphertext never
// reaches the cluster.
class Decryptor {
 public:
  virtual ~Decryptor() = default;
  // `docs` are `text`'s documents as the loader decoded them. A SOPS file's are decrypted in place,
  // each document's `encrypted` set and its `sops` block removed; errors name `file`.
  virtual Status DecryptFile(std::string_view text, const std::string& file, bool json,
                             std::vector<Document>* docs) const = 0;
  // One object of a kustomize build that still has a `sops` block. `origin` is the file of `tree`
  // it was built from ("" when unknown): that file is opened and its MAC verified whole.
  virtual Status DecryptBuilt(Json* doc, const std::string& what, const FileTree& tree,
                              const std::string& origin) const = 0;
  // True when it checks structure only and leaves the values encrypted (lint without a key).
  virtual bool LeavesCiphertext() const { return false; }
};

// True when a decoded document has a top-level `sops` mapping: a SOPS-encrypted file.
bool HasSopsBlock(const Json& doc);

struct LoadOptions {
  DecodeOptions decode;
  // Namespace given to namespaced objects that name none (what `kubectl apply -n` does).
  // Default: "default".
  std::string default_namespace = "default";
  // Builds the directories that hold a kustomization (see kustomize.h). Without one, such a
  // directory is an error: its files are inputs to a build, not manifests.
  const Kustomizer* kustomizer = nullptr;
  // Opens SOPS files. Without one they are refused (unless keep_encrypted).
  const Decryptor* decryptor = nullptr;
  // Leave SOPS documents as they are, `sops` block and all (for readers that only want
  // positions, and for kustomize output, decrypted per object afterwards).
  bool keep_encrypted = false;
  // A JSON List file larger than this keeps each item as text, read for its identity only, its
  // tree made when something reads it (see Object::FromText): a captured live state of 10,000
  // objects is then never in memory as 10,000 trees at once. (A small one is cheaper read whole:
  // the skim is a second pass.) Files of any other shape are read as usual. Default: never.
  size_t defer_list_items_above = SIZE_MAX;
};

// A RabbitMQ definitions file (what `rabbitmqctl export_definitions` writes) found among the
// manifests: a document with no kind or apiVersion and one of the definitions' top-level keys.
struct DefinitionsDocument {
  Json doc;
  std::string where;  // the file
};
bool IsRabbitDefinitions(const Json& doc);

struct LoadedManifests {
  std::vector<Object> objects;
  std::vector<DefinitionsDocument> definitions;
};

// LoadManifests, keeping the RabbitMQ definitions files it meets apart from the objects.
Result<LoadedManifests> LoadRepository(const FileTree& tree, const std::vector<std::string>& paths,
                                       const LoadOptions& options = {});

// Reads every manifest at or below each of `paths` in `tree` (definitions files are skipped). Explicitly named files
// are read whatever their extension; files found by walking a directory only when .yaml/.yml/.json.
Result<std::vector<Object>> LoadManifests(const FileTree& tree, const std::vector<std::string>& paths,
                                          const LoadOptions& options = {});

// JSON when `file` ends in .json; YAML when it ends in .yaml or .yml; otherwise JSON when the
// text starts with { or [.
bool LooksLikeJson(const std::string& file, const std::string& text);

// The documents of one text, read as YAML or JSON as LooksLikeJson says; not yet decrypted nor
// flattened into objects.
Result<std::vector<Document>> DecodeDocuments(const std::string& text, const std::string& file,
                                              const DecodeOptions& options = {});

// Decodes one text (YAML or JSON, by `file`'s extension, or by content when it has none) into
// objects, flattening Lists. Used for manifests and for captured live state alike.
Result<std::vector<Object>> ObjectsFromText(const std::string& text, const std::string& file,
                                            const LoadOptions& options = {});
// The same from documents already decoded from text (which SOPS metadata is read from).
Result<std::vector<Object>> ObjectsFromDocuments(std::vector<Document> docs, const std::string& text,
                                                 const std::string& file, const LoadOptions& options);

// Fails with both locations when two objects share a ResourceKey.
Status CheckUniqueIdentities(const std::vector<Object>& objects);

}  // namespace warren
