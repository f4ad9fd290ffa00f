#include "diff/engine/apply_order.h"

#include <algorithm>

namespace warren::diff {

int ApplyRank(const std::string& group, const std::string& kind) {
  static const std::pair<const char*, const char*> kOrder[] = {
      {"", "Namespace"},
      {"apiextensions.k8s.io", "CustomResourceDefinition"},
      {"", "ServiceAccount"},
      {"", "Secret"},
      {"", "ConfigMap"},
      {"rbac.authorization.k8s.io", "ClusterRole"},
      {"rbac.authorization.k8s.io", "Role"},
      {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
      {"rbac.authorization.k8s.io", "RoleBinding"},
      {"", "PersistentVolumeClaim"},
      {"", "Service"},
      {"apps", "StatefulSet"},
  };
  int rank = 0;
  for (const auto& [g, k] : kOrder) {
    if (group == g && kind == k) return rank;
    ++rank;
  }
  // Custom resources (a dotted group that is not a Kubernetes one) come last.
  bool custom = group.find('.') != std::string::npos && group.find("k8s.io") == std::string::npos;
  return custom ? rank + 1 : rank;
}

std::vector<const Object*> InApplyOrder(const std::vector<Object>& objects) {
  std::vector<const Object*> out;
  for (const Object& o : objects) out.push_back(&o);
  std::stable_sort(out.begin(), out.end(), [](const Object* a, const Object* b) {
    return ApplyRank(a->group(), a->kind()) < ApplyRank(b->group(), b->kind());
  });
  return out;
}

bool NeverDeleted(const std::string& group, const std::string& kind) {
  return group.empty() && (kind == "Namespace" || kind == "PersistentVolumeClaim");
}

}  // namespace warren::diff
