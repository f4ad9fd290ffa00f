// Kustomize in the pure core. A directory holding kustomization.yaml, kustomization.yml or
// Kustomization is built as a whole (as Flux's kustomize-controller and Argo CD do), never read
// file by file. Building runs a program, so the core only says what it needs from a builder
// (agent/source/kustomize_builder implements it) and how to read what the builder printed.
#pragma once

#include <string>
#include <vector>

#include "diff/model/file_tree.h"
#include "diff/model/object.h"

namespace warren {

// What a build printed: a YAML stream whose objects carry kustomize's
// `config.kubernetes.io/origin` annotation, with paths relative to `origin_base` (an absolute
// directory). Tree paths are relative to `tree_root` (absolute, or "" when origin paths are
// tree paths already).
struct KustomizeOutput {
  std::string yaml;
  std::string origin_base;
  std::string tree_root;
};

class Kustomizer {
 public:
  virtual ~Kustomizer() = default;
  // Builds the kustomization in directory `dir` of `tree`.
  virtual Result<KustomizeOutput> Build(const FileTree& tree, const std::string& dir) const = 0;
};

bool IsKustomizationFile(const std::string& file);

// The directories among `files` (a sorted listing) that hold a kustomization file, outermost
// only: a kustomization inside another one's directory is part of that build or unused by it.
std::vector<std::string> KustomizationRoots(const std::vector<std::string>& files);

// The tree path an origin annotation's `path` (or `configuredIn`) names: lexically resolved
// against output.origin_base and made relative to output.tree_root (absolute when outside it).
std::string OriginTreePath(const KustomizeOutput& output, const std::string& origin_path);

// The annotation kustomize writes when asked for origins; the loader reads it and removes it.
inline constexpr const char* kOriginAnnotation = "config.kubernetes.io/origin";

// The file an object of a build came from ("path:" for resources, "configuredIn:" for objects a
// generator made), or "" when the annotation is absent or has neither.
std::string OriginFile(const std::string& annotation);

}  // namespace warren
