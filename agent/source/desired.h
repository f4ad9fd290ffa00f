// Where a desired state comes from: local paths, or a commit of a git repository (fetched through
// git/git_source). Loading says nothing itself: the caller reports the commit and its signer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/git/git_source.h"
#include "agent/source/decryption_keys.h"
#include "agent/source/kustomize_builder.h"
#include "diff/model/loader.h"

namespace warren::source {

struct DesiredSource {
  std::vector<std::string> paths;  // local files or directories, when `git` is unset
  std::optional<git::SourceOptions> git;
  std::string default_namespace = "default";
  KustomizeOptions kustomize;    // how directories holding a kustomization are built
  DecryptionOptions decryption;  // where the age identities for SOPS files come from
  // The identities themselves, loaded by the caller from `decryption` (LoadKeyring) before each
  // load; null: none, so a SOPS file is an error naming it.
  const sops::Keyring* keys = nullptr;
};

struct Desired {
  LoadedManifests manifests;
  std::string commit;     // "" for local paths
  std::string signed_by;  // "principal (SHA256:...)" when a signature was verified
  bool fetched = false;   // git: the ref moved and new objects were fetched
};

Result<Desired> LoadDesired(const DesiredSource& source);

// The commit a failed LoadDesired had fetched ("" when it failed before that): its error reads
// "commit <sha>: ...", so the failure can be reported on the commit it concerns.
std::string FailedCommit(const Status& load_error);

}  // namespace warren::source
