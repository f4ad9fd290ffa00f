// Builds kustomizations with the kustomize program, or `kubectl kustomize` (the same engine,
// shipped inside kubectl) when kustomize is not installed.
//
// The build runs on real files: a tree on disk is built where it is; any other tree (a git
// commit) is first written out to a temporary directory, removed afterwards. The directory is
// wrapped in a kustomization of warren's that adds kustomize's origin annotations, so each object
// can be traced back to the file it came from. Nothing else in the output changes.
#pragma once

#include <chrono>
#include <string>

#include "agent/util/cancel.h"
#include "diff/model/kustomize.h"

namespace warren::source {

struct KustomizeOptions {
  // The program: "kustomize" (run as `kustomize build DIR`), "kubectl" (`kubectl kustomize DIR`),
  // or a path to either; "" = kustomize when on PATH, else kubectl.
  std::string command;
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  StopToken stop;
  uint64_t max_tree_bytes = 256u << 20;  // a larger commit is refused rather than written out
};

class KustomizeBuilder : public Kustomizer {
 public:
  explicit KustomizeBuilder(KustomizeOptions options) : options_(std::move(options)) {}
  Result<KustomizeOutput> Build(const FileTree& tree, const std::string& dir) const override;

  // argv before the directory; an error naming what is missing.
  Result<std::vector<std::string>> Command() const;

 private:
  KustomizeOptions options_;
};

}  // namespace warren::source
