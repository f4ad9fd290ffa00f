#include "diff/engine/list_keys.h"

namespace warren::diff {

const std::vector<std::string>* ListKeys(const std::string& field, const Json& sample) {
  static const std::vector<std::string> kName = {"name"};
  static const std::vector<std::string> kMountPath = {"mountPath"};
  static const std::vector<std::string> kDevicePath = {"devicePath"};
  static const std::vector<std::string> kContainerPort = {"containerPort", "protocol"};
  static const std::vector<std::string> kServicePort = {"port", "protocol"};
  static const std::vector<std::string> kMetadataName = {"metadata.name"};
  static const std::vector<std::string> kIp = {"ip"};
  static const std::vector<std::string> kUid = {"uid"};
  static const std::vector<std::string> kSpread = {"topologyKey", "whenUnsatisfiable"};
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" || field == "env" ||
      field == "volumes" || field == "imagePullSecrets")
    return &kName;
  if (field == "volumeMounts") return &kMountPath;
  if (field == "volumeDevices") return &kDevicePath;
  if (field == "ports") return sample.is_object() && sample.contains("containerPort") ? &kContainerPort : &kServicePort;
  if (field == "volumeClaimTemplates") return &kMetadataName;
  if (field == "hostAliases") return &kIp;
  if (field == "ownerReferences") return &kUid;
  if (field == "topologySpreadConstraints") return &kSpread;
  return nullptr;
}

std::string ItemKey(const Json& item, const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) {
    const Json* v = &item;
    size_t start = 0;
    while (v && v->is_object()) {
      size_t dot = k.find('.', start);
      auto it = v->find(k.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      v = it == v->end() ? nullptr : &*it;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (!out.empty()) out += ",";
    out += k + "=" + (v ? v->dump() : "null");
  }
  return out;
}

}  // namespace warren::diff
