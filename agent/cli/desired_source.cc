#include "agent/cli/desired_source.h"

#include "agent/fs/disk_file_tree.h"
#include "agent/git/git_source.h"

namespace warren::cli {

Result<Desired> LoadDesired(const std::vector<std::string>& paths, const SourceArgs& source,
                            const std::string& default_namespace, std::ostream& err) {
  LoadOptions options;
  options.default_namespace = default_namespace;
  Desired out;
  if (!source.enabled()) {
    if (paths.empty()) return Status::Invalid("give PATHs or --repo");
    DiskFileTree tree;
    auto loaded = LoadRepository(tree, paths, options);
    if (!loaded.ok()) return loaded.status();
    out.manifests = std::move(loaded).value();
    return out;
  }
  auto checkout = git::SyncSource({source.repo, source.ref, source.path, source.cache_dir, source.auth_file, source.ssh_key,
                                   source.known_hosts, source.ca_file, source.allowed_signers, source.require_signed});
  if (!checkout.ok()) return checkout.status();
  out.commit = checkout.value().commit;
  err << "source: " << source.repo << " " << source.ref << " at commit " << out.commit
      << (checkout.value().signed_by.empty() ? "" : ", signed by " + checkout.value().signed_by) << "\n";
  auto loaded = LoadRepository(*checkout.value().tree, {checkout.value().root}, options);
  if (!loaded.ok()) return loaded.status().WithContext("commit " + out.commit);
  out.manifests = std::move(loaded).value();
  return out;
}

int RabbitReplicas(const std::vector<Object>& objects) {
  for (const Object& o : objects) {
    if (o.kind() != "StatefulSet") continue;
    const Json& spec = Field(o.doc(), "spec");
    const Json& containers = Field(Field(Field(spec, "template"), "spec"), "containers");
    if (!containers.is_array()) continue;
    for (const Json& c : containers) {
      if (StringField(c, "image").find("rabbitmq") == std::string::npos) continue;
      const Json& replicas = Field(spec, "replicas");
      return replicas.is_number_integer() ? replicas.get<int>() : 1;  // the API server's default
    }
  }
  return 0;
}

}  // namespace warren::cli
