// Shared by the commands that read a desired state: local PATHs, or a commit of a git repository
// (--repo ...). Says on `err` which commit was used and who signed it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "diff/model/loader.h"

namespace warren::cli {

struct Desired {
  LoadedManifests manifests;
  std::string commit;  // "" for local PATHs
};

Result<Desired> LoadDesired(const std::vector<std::string>& paths, const SourceArgs& source,
                            const std::string& default_namespace, std::ostream& err);

// The node count the manifests ask for: replicas of the StatefulSet that runs a rabbitmq image
// (0 when there is none).
int RabbitReplicas(const std::vector<Object>& objects);

}  // namespace warren::cli
