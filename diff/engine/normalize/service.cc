// Service: ports are keyed by port and protocol, and protocol defaults to TCP.
#include "diff/engine/normalize.h"

namespace warren::diff {

void NormalizeService(Side, Json& doc) {
  auto ports = doc.find("spec");
  if (ports == doc.end() || !ports->is_object() || !ports->contains("ports")) return;
  for (Json& p : (*ports)["ports"])
    if (p.is_object() && !p.contains("protocol")) p["protocol"] = "TCP";
}

}  // namespace warren::diff
