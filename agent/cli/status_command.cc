#include "agent/cli/commands.h"
#include "agent/cli/rabbit_connect.h"
#include "agent/fs/disk_file_tree.h"
#include "agent/rabbitmq/cluster_probe.h"
#include "agent/reconcile/reconcile.h"
#include "agent/source/kustomize_builder.h"
#include "diff/model/loader.h"
#include "diff/sops/decryptor.h"

namespace warren::cli {

int RunStatus(const StatusArgs& args, std::ostream& out, std::ostream& err) {
  int expected = args.expected_nodes;
  if (expected == 0 && !args.paths.empty()) {
    DiskFileTree tree;
    source::KustomizeBuilder kustomize({.command = args.kustomize_command});
    LoadOptions options;
    options.kustomizer = &kustomize;
    // Only the StatefulSet's replicas are read: SOPS files need no key here.
    static const sops::Keyring kNoKeys;
    sops::SopsDecryptor structure_only({&kNoKeys, true});
    options.decryptor = &structure_only;
    auto objects = LoadManifests(tree, args.paths, options);
    if (!objects.ok()) {
      err << "warren status: " << objects.status().message() << "\n";
      return kExitError;
    }
    expected = reconcile::RabbitReplicas(objects.value());
  }
  auto client = ConnectRabbit(args.rabbit);
  if (!client.ok()) {
    err << "warren status: " << client.status().message() << "\n";
    return kExitError;
  }
  auto inputs = rabbitmq::ProbeCluster(*client.value(), expected);
  if (!inputs.ok()) {
    err << "warren status: " << inputs.status().message() << "\n";
    return kExitError;
  }
  rabbit::ClusterHealth health = rabbit::AssessHealth(inputs.value());
  if (args.output == "json")
    out << rabbit::HealthToJson(health).dump(2) << "\n";
  else
    out << rabbit::RenderHealthText(health);
  return health.healthy() ? kExitClean : kExitFindings;
}

}  // namespace warren::cli
