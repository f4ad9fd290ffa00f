// The CLI's source flags turned into a source::DesiredSource, and the one line that says which
// commit was read (and who signed it).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/source/desired.h"

namespace warren::cli {

source::DesiredSource ToDesiredSource(const std::vector<std::string>& paths, const SourceArgs& args,
                                      const std::string& default_namespace);

// Loads, and says on `err` which commit was used: "source: URL REF at commit C, signed by S".
Result<source::Desired> LoadDesired(const std::vector<std::string>& paths, const SourceArgs& args,
                                    const std::string& default_namespace, std::ostream& err);

}  // namespace warren::cli
