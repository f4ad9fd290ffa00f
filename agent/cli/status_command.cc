#include "agent/cli/commands.h"
#include "agent/cli/rabbit_connect.h"
#include "agent/fs/disk_file_tree.h"
#include "agent/rabbitmq/cluster_probe.h"
#include "diff/model/loader.h"

namespace warren::cli {
namespace {

// The node count the manifests ask for: replicas of the StatefulSet that runs a rabbitmq image.
int ReplicasFromManifests(const std::vector<Object>& objects) {
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

}  // namespace

int RunStatus(const StatusArgs& args, std::ostream& out, std::ostream& err) {
  int expected = args.expected_nodes;
  if (expected == 0 && !args.paths.empty()) {
    DiskFileTree tree;
    auto objects = LoadManifests(tree, args.paths);
    if (!objects.ok()) {
      err << "warren status: " << objects.status().message() << "\n";
      return kExitError;
    }
    expected = ReplicasFromManifests(objects.value());
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
  if (args.output == "json") out << rabbit::HealthToJson(health).dump(2) << "\n";
  else out << rabbit::RenderHealthText(health);
  return health.healthy() ? kExitClean : kExitFindings;
}

}  // namespace warren::cli
