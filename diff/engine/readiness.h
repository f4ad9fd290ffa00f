// When an applied object counts as ready, by the usual rules (kstatus-like): a StatefulSet whose
// controller saw its generation and rolled every replica to the update revision, with all ready;
// a PersistentVolumeClaim that is Bound; a Service with a selector that has endpoints. Anything
// else is ready once stored.
#pragma once

#include <string>

#include "diff/model/object.h"

namespace warren::diff {

struct Readiness {
  bool ready = true;
  std::string waiting_for;  // "2/3 replicas ready", "claim Pending", ...
};

// `endpoints` is the Service's Endpoints object (null when absent); ignored for other kinds.
Readiness JudgeReadiness(const Json& obj, const Json* endpoints);

}  // namespace warren::diff
