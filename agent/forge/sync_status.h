// The warren/sync commit status of one reconcile, written once for `warren sync --report-status`
// and the agent: error (the run could not be made), failure (objects not in sync, the first one
// named) or success (in sync, how many objects were corrected, and what was left in place).
#pragma once

#include <string>

#include "agent/forge/commit_status.h"
#include "agent/reconcile/reconcile.h"

namespace warren::forge {

struct StatusUpdate {
  State state = State::kPending;
  std::string description;
};

// error: the run's own error. failure: "N not in sync: <first failed object: why>", or when
// nothing failed, "N need(s) action: <first such object: why>". success: "in sync: N objects[, M
// corrected][; K objects removed from git left in place: … — prune is off]".
StatusUpdate SyncStatusOf(const reconcile::Report& report);

}  // namespace warren::forge
