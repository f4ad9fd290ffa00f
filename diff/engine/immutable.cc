#include "diff/engine/immutable.h"

#include <array>

namespace warren::diff {
namespace {

// "/spec/volumeClaimTemplates/0/spec" -> "spec.volumeClaimTemplates"
std::string TopField(const std::string& path, int depth) {
  std::string out;
  size_t pos = 0;
  for (int i = 0; i < depth && pos < path.size(); ++i) {
    size_t next = path.find('/', pos + 1);
    out +=
        (out.empty() ? "" : ".") + path.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    if (next == std::string::npos) break;
    pos = next;
  }
  return out;
}

std::string StatefulSetReason(const std::vector<Change>& changes) {
  static constexpr std::array<const char*, 6> kMutable = {"/spec/replicas",
                                                          "/spec/ordinals",
                                                          "/spec/template",
                                                          "/spec/updateStrategy",
                                                          "/spec/persistentVolumeClaimRetentionPolicy",
                                                          "/spec/minReadySeconds"};
  for (const Change& c : changes) {
    if (!PointerUnder(c.path, "/spec")) continue;
    bool is_mutable = false;
    for (const char* m : kMutable) is_mutable = is_mutable || PointerUnder(c.path, m);
    if (!is_mutable)
      return TopField(c.path, 2) +
             " is immutable: a StatefulSet's spec cannot change outside replicas, ordinals, template, "
             "updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds";
  }
  return "";
}

}  // namespace

std::string RecreateReason(const ResourceKey& key, const Json& live, const std::vector<Change>& changes) {
  if (key.group == "apps" && key.kind == "StatefulSet") return StatefulSetReason(changes);
  if (key.group == "rbac.authorization.k8s.io" && (key.kind == "RoleBinding" || key.kind == "ClusterRoleBinding")) {
    for (const Change& c : changes)
      if (PointerUnder(c.path, "/roleRef")) return "roleRef is immutable: a binding cannot change the role it grants";
  }
  if (key.group.empty() && key.kind == "Service") {
    for (const Change& c : changes)
      if (PointerUnder(c.path, "/spec/clusterIP") || PointerUnder(c.path, "/spec/clusterIPs"))
        return "spec.clusterIP is immutable once allocated";
  }
  if (key.group.empty() && (key.kind == "Secret" || key.kind == "ConfigMap") && Field(live, "immutable") == true) {
    for (const Change& c : changes)
      for (const char* f : {"/data", "/stringData", "/binaryData", "/type"})
        if (PointerUnder(c.path, f))
          return key.kind + " is marked immutable: " + TopField(c.path, 1) + " cannot change in place";
  }
  return "";
}

}  // namespace warren::diff
