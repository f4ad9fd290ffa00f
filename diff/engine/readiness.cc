#include "diff/engine/readiness.h"

namespace warren::diff {
namespace {

long long Int(const Json& obj, const char* key, long long fallback = 0) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}

}  // namespace

Readiness JudgeReadiness(const Json& obj, const Json* endpoints) {
  const std::string kind = StringField(obj, "kind");
  const Json& status = Field(obj, "status");
  const Json& spec = Field(obj, "spec");
  if (kind == "StatefulSet") {
    long long generation = Int(Field(obj, "metadata"), "generation", 1);
    long long replicas = Int(spec, "replicas", 1);
    long long partition = Int(Field(Field(spec, "updateStrategy"), "rollingUpdate"), "partition", 0);
    if (Int(status, "observedGeneration") < generation)
      return {false, "the controller has not seen generation " + std::to_string(generation)};
    if (Int(status, "replicas") != replicas)
      return {false, std::to_string(Int(status, "replicas")) + "/" + std::to_string(replicas) + " replicas"};
    if (Int(status, "updatedReplicas") < replicas - partition)
      return {false, std::to_string(Int(status, "updatedReplicas")) + "/" + std::to_string(replicas - partition) +
                         " replicas updated"};
    if (Int(status, "readyReplicas") < replicas)
      return {false, std::to_string(Int(status, "readyReplicas")) + "/" + std::to_string(replicas) + " replicas ready"};
    if (partition == 0 && StringField(status, "currentRevision") != StringField(status, "updateRevision"))
      return {false, "revision " + StringField(status, "updateRevision") + " not rolled out"};
    return {};
  }
  if (kind == "PersistentVolumeClaim") {
    std::string phase = StringField(status, "phase");
    return phase == "Bound" ? Readiness{}
                            : Readiness{false, "claim " + (phase.empty() ? std::string("without phase") : phase)};
  }
  if (kind == "Service") {
    const Json& selector = Field(spec, "selector");
    if (!selector.is_object() || selector.empty() || StringField(spec, "type") == "ExternalName") return {};
    if (!endpoints) return {false, "no endpoints"};
    for (const Json& subset : Field(*endpoints, "subsets").is_array() ? Field(*endpoints, "subsets") : Json::array())
      if (Field(subset, "addresses").is_array() && !Field(subset, "addresses").empty()) return {};
    return {false, "no ready endpoints"};
  }
  return {};
}

}  // namespace warren::diff
