// RBAC: roleRef.apiGroup defaults to rbac.authorization.k8s.io; User and Group subjects get
// the same apiGroup, ServiceAccount subjects none.
#include "diff/engine/normalize.h"

namespace warren::diff {

void NormalizeRbac(const std::string& kind, Json& doc) {
  if (kind != "RoleBinding" && kind != "ClusterRoleBinding") return;
  if (auto ref = doc.find("roleRef"); ref != doc.end() && ref->is_object() && !ref->contains("apiGroup"))
    (*ref)["apiGroup"] = "rbac.authorization.k8s.io";
  if (auto subjects = doc.find("subjects"); subjects != doc.end() && subjects->is_array())
    for (Json& s : *subjects) {
      if (!s.is_object() || s.contains("apiGroup")) continue;
      const std::string& k = StringField(s, "kind");
      if (k == "User" || k == "Group") s["apiGroup"] = "rbac.authorization.k8s.io";
    }
}

}  // namespace warren::diff
