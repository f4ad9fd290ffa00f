// StatefulSet: the pod template, and volumeClaimTemplates whose storage requests are quantities.
#include "diff/engine/normalize.h"

namespace warren::diff {

void NormalizeStatefulSet(Side, Json& doc) {
  auto spec = doc.find("spec");
  if (spec == doc.end() || !spec->is_object()) return;
  if (spec->contains("/template/spec"_json_pointer)) NormalizePodSpec((*spec)["template"]["spec"]);
  auto vcts = spec->find("volumeClaimTemplates");
  if (vcts == spec->end() || !vcts->is_array()) return;
  for (Json& vct : *vcts) {
    if (!vct.is_object()) continue;
    vct.erase("status");  // the server adds {phase: Pending}
    if (vct.contains("/spec/resources"_json_pointer)) NormalizeResources(vct["spec"]["resources"]);
  }
}

}  // namespace warren::diff
