#include "agent/source/desired.h"

#include "agent/fs/disk_file_tree.h"
#include "diff/sops/decryptor.h"

namespace warren::source {

Result<Desired> LoadDesired(const DesiredSource& source) {
  LoadOptions options;
  options.default_namespace = source.default_namespace;
  KustomizeOptions kustomize = source.kustomize;
  if (source.git) kustomize.stop = source.git->stop;
  KustomizeBuilder builder(std::move(kustomize));
  options.kustomizer = &builder;
  static const sops::Keyring kNoKeys;
  sops::SopsDecryptor decryptor({source.keys ? source.keys : &kNoKeys, false});
  options.decryptor = &decryptor;
  Desired out;
  if (!source.git) {
    if (source.paths.empty()) return Status::Invalid("no manifests: give paths or a git repository");
    DiskFileTree tree;
    WARREN_ASSIGN_OR_RETURN(auto loaded, LoadRepository(tree, source.paths, options));
    out.manifests = std::move(loaded);
    return out;
  }
  WARREN_ASSIGN_OR_RETURN(auto checkout, git::SyncSource(*source.git));
  out.commit = checkout.commit;
  out.signed_by = checkout.signed_by;
  out.fetched = checkout.fetched;
  auto loaded = LoadRepository(*checkout.tree, {checkout.root}, options);
  if (!loaded.ok()) return loaded.status().WithContext("commit " + out.commit);
  out.manifests = std::move(loaded).value();
  return out;
}

std::string FailedCommit(const Status& load_error) {
  const std::string& m = load_error.message();
  if (m.rfind("commit ", 0) != 0) return "";
  size_t end = m.find(": ", 7);
  return end == std::string::npos ? "" : m.substr(7, end - 7);
}

}  // namespace warren::source
