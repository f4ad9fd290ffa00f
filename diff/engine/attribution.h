// Drift attribution: who set the live value warren would change. The API server records, per
// field manager, operation and subresource, which fields each one owns and when it last wrote
// (metadata.managedFields); `kubectl scale` owns .spec.replicas through the scale subresource,
// `kubectl edit` as manager kubectl-edit, a controller as itself.
#pragma once

#include <string>
#include <vector>

#include "diff/engine/report.h"

namespace warren::diff {

// Fills Change::changed_by for each change whose live field (or an atomic field above it, or a
// field below it) a manager other than `self` owns; the most recent writer wins when several do.
// `live_raw` is the live object as read, managedFields included.
void Attribute(const Json& live_raw, const std::string& self, std::vector<Change>* changes);

}  // namespace warren::diff
