// Where a desired state comes from: local paths, or a commit of a git repository (fetched through
// git/git_source). Loading says nothing itself: the caller reports the commit and its signer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/git/git_source.h"
#include "agent/source/kustomize_builder.h"
#include "diff/model/loader.h"

namespace warren::source {

struct DesiredSource {
  std::vector<std::string> paths;  // local files or directories, when `git` is unset
  std::optional<git::SourceOptions> git;
  std::string default_namespace = "default";
  KustomizeOptions kustomize;  // how directories holding a kustomization are built
};

struct Desired {
  LoadedManifests manifests;
  std::string commit;     // "" for local paths
  std::string signed_by;  // "principal (SHA256:...)" when a signature was verified
  bool fetched = false;   // git: the ref moved and new objects were fetched
};

Result<Desired> LoadDesired(const DesiredSource& source);

}  // namespace warren::source
