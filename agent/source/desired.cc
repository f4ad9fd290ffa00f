#include "agent/source/desired.h"

#include "agent/fs/disk_file_tree.h"

namespace warren::source {

Result<Desired> LoadDesired(const DesiredSource& source) {
  LoadOptions options;
  options.default_namespace = source.default_namespace;
  KustomizeOptions kustomize = source.kustomize;
  if (source.git) kustomize.stop = source.git->stop;
  KustomizeBuilder builder(std::move(kustomize));
  options.kustomizer = &builder;
  Desired out;
  if (!source.git) {
    if (source.paths.empty()) return Status::Invalid("no manifests: give paths or a git repository");
    DiskFileTree tree;
    auto loaded = LoadRepository(tree, source.paths, options);
    if (!loaded.ok()) return loaded.status();
    out.manifests = std::move(loaded).value();
    return out;
  }
  auto checkout = git::SyncSource(*source.git);
  if (!checkout.ok()) return checkout.status();
  out.commit = checkout.value().commit;
  out.signed_by = checkout.value().signed_by;
  out.fetched = checkout.value().fetched;
  auto loaded = LoadRepository(*checkout.value().tree, {checkout.value().root}, options);
  if (!loaded.ok()) return loaded.status().WithContext("commit " + out.commit);
  out.manifests = std::move(loaded).value();
  return out;
}

}  // namespace warren::source
