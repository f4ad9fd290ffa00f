#include "diff/engine/normalize.h"

namespace warren::diff {

void Normalize(const std::string& group, const std::string& kind, Side side, Json& doc) {
  // Server-only metadata and status are never desired state.
  if (auto meta = doc.find("metadata"); meta != doc.end() && meta->is_object()) {
    for (const char* f : {"uid", "resourceVersion", "generation", "creationTimestamp", "selfLink",
                          "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds"})
      meta->erase(f);
  }
  doc.erase("status");
  if (group == "apps" && kind == "StatefulSet") NormalizeStatefulSet(side, doc);
  else if (group.empty() && kind == "Service") NormalizeService(side, doc);
  else if (group.empty() && kind == "Secret") NormalizeSecret(side, doc);
  else if (group.empty() && kind == "Pod" && doc.contains("spec")) NormalizePodSpec(doc["spec"]);
  else if (group == "rbac.authorization.k8s.io") NormalizeRbac(kind, doc);
}

}  // namespace warren::diff
