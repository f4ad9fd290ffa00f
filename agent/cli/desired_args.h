// The CLI's source flags turned into a source::DesiredSource, and the one line that says which
// commit was read (and who signed it).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/source/desired.h"

namespace warren::cli {

// The flags and the environment (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY), as sops reads them.
source::DecryptionOptions ToDecryptionOptions(const DecryptionArgs& args);

// Every configured identity; a Kubernetes connection from `kube` only when a Secret is named.
Result<sops::Keyring> LoadKeys(const DecryptionArgs& args, const KubeArgs* kube);

source::DesiredSource ToDesiredSource(const std::vector<std::string>& paths, const SourceArgs& args,
                                      const std::string& default_namespace);

// Loads, and says on `err` which commit was used: "source: URL REF at commit C, signed by S".
// `kube`: where --decryption-secret is read from (null: it cannot be).
Result<source::Desired> LoadDesired(const std::vector<std::string>& paths, const SourceArgs& args,
                                    const std::string& default_namespace, std::ostream& err,
                                    const KubeArgs* kube = nullptr);

}  // namespace warren::cli
