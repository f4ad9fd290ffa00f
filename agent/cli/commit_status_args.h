// The --status-* flags as the forge client's options.
#pragma once

#include "agent/cli/commands.h"
#include "agent/forge/commit_status.h"

namespace warren::cli {

inline forge::StatusOptions ToStatusOptions(const CommitStatusArgs& a) {
  forge::StatusOptions o;
  o.provider = a.provider;
  o.api_url = a.api_url;
  o.repo = a.repo;
  o.token_file = a.token_file;
  o.ca_file = a.ca_file;
  o.target_url = a.target_url;
  return o;
}

}  // namespace warren::cli
