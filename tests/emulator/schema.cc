#include "tests/emulator/schema.h"

namespace emulator {

ListSchema ListFor(const std::string& kind, const std::string& field, const Json& sample) {
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" || field == "env" ||
      field == "volumes" || field == "imagePullSecrets")
    return {{"name"}};
  if (field == "volumeMounts") return {{"mountPath"}};
  if (field == "volumeDevices") return {{"devicePath"}};
  if (field == "ports") {
    if (kind == "Service" || (sample.is_object() && sample.contains("port") && !sample.contains("containerPort")))
      return {{"port", "protocol"}};
    return {{"containerPort", "protocol"}};
  }
  if (field == "conditions") return {{"type"}};
  return {};
}

bool IsAtomic(const std::string& kind, const std::string& path) {
  if (kind == "StatefulSet") return path == "spec.selector" || path == "spec.volumeClaimTemplates";
  if (kind == "RoleBinding" || kind == "ClusterRoleBinding") return path == "roleRef" || path == "subjects";
  if (kind == "Role" || kind == "ClusterRole") return path == "rules";
  return false;
}

Json KeyValue(const Json& item, const std::string& key) {
  auto it = item.find(key);
  if (it != item.end()) return *it;
  if (key == "protocol") return "TCP";
  return nullptr;
}

}  // namespace emulator
