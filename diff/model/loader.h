// Loading manifests: files and directories (recursively: .yaml, .yml, .json; a directory holding a
// kustomization is built instead, see kustomize.h), multi-document YAML,
// `kind: List` and `*List` flattened, empty documents skipped. Every object must have apiVersion,
// kind and metadata.name; two objects with the same identity are an error naming both places.
#pragma once

#include <string>
#include <vector>

#include "diff/model/decode.h"
#include "diff/model/file_tree.h"
#include "diff/model/kustomize.h"
#include "diff/model/object.h"

namespace warren {

struct LoadOptions {
  DecodeOptions decode;
  // Namespace given to namespaced objects that name none (what `kubectl apply -n` does).
  // Default: "default".
  std::string default_namespace = "default";
  // Builds the directories that hold a kustomization (see kustomize.h). Without one, such a
  // directory is an error: its files are inputs to a build, not manifests.
  const Kustomizer* kustomizer = nullptr;
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

// Decodes one text (YAML or JSON, by `file`'s extension, or by content when it has none) into
// objects, flattening Lists. Used for manifests and for captured live state alike.
Result<std::vector<Object>> ObjectsFromText(const std::string& text, const std::string& file,
                                            const LoadOptions& options = {});

// Fails with both locations when two objects share a ResourceKey.
Status CheckUniqueIdentities(const std::vector<Object>& objects);

}  // namespace warren
