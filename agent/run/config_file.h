// The agent's config file (--config): several sources, each reconciled on its own. YAML:
//
//   sources:
//     - name: orders                 # the warren.io/source label; default "warren" for one source
//       repo: https://git.example.com/platform/rabbitmq.git   # or paths: [dir, ...]
//       ref: main
//       path: clusters/prod
//       authFile: /etc/warren/git/auth      # https; sshKey + knownHosts for ssh://
//       caFile: /etc/warren/git/ca.crt
//       allowedSigners: /etc/warren/allowed_signers
//       requireSigned: true
//       namespace: rabbitmq           # objects that name none (and the inventory, by default)
//       inventoryNamespace: warren    # where the inventory ConfigMap lives
//       prune: true
//       interval: 5m                  # Go duration
//       rabbitmq:
//         urls: [http://rabbitmq.rabbitmq.svc:15672]
//         credentialsFile: /etc/warren/rabbitmq    # a mounted Secret (username, password)
//         caFile: /etc/warren/rabbitmq-ca.crt
//         timeout: 10s
//         inventory: warren-inventory-orders
//
// Unknown keys are errors (a typo must not silently drop a setting), named with the file.
#pragma once

#include <string>
#include <vector>

#include "agent/run/options.h"

namespace warren::run {

// `defaults` supplies what a source does not say (the command line's interval, cache dir, ...).
Result<std::vector<SourceSpec>> ParseConfig(const std::string& text, const std::string& file,
                                            const SourceSpec& defaults);

}  // namespace warren::run
