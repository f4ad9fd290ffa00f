// ManifestIndex: lookups over a set of manifests that the lint rules share (objects by identity
// and kind, and the pod templates of every workload with the pointer to each).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "diff/check/finding.h"
#include "diff/model/object.h"

namespace warren::check {

struct PodTemplate {
  const Object* owner;
  std::string pointer;  // JSON Pointer of the pod spec inside the owner, e.g. "/spec/template/spec"
  const Json* spec;     // the pod spec
  Json labels;          // the pod's labels (empty object when none)
};

class ManifestIndex {
 public:
  // REQUIRES: `objects` outlives the index.
  explicit ManifestIndex(const std::vector<Object>& objects);

  const std::vector<Object>& objects() const { return objects_; }
  const Object* Find(const std::string& group, const std::string& kind, const std::string& ns,
                     const std::string& name) const;
  std::vector<const Object*> OfKind(const std::string& group, const std::string& kind) const;
  const std::vector<PodTemplate>& pod_templates() const { return pods_; }

 private:
  const std::vector<Object>& objects_;
  std::map<ResourceKey, const Object*> by_key_;
  std::vector<PodTemplate> pods_;
};

// Builds a finding about `o` at the node `pointer` (its line when positions were recorded).
Finding MakeFinding(const char* rule, Severity severity, const Object& o, const std::string& pointer,
                    std::string message, std::string fix);

// Every container of a pod spec (initContainers first) with its pointer.
struct ContainerRef {
  const Json* container;
  std::string pointer;
};
std::vector<ContainerRef> Containers(const PodTemplate& pod);

// The env entry named `name` in a container, or nullptr.
const Json* EnvVar(const Json& container, const std::string& name);

// True when every key=value of `selector` (a matchLabels map) is in `labels`.
bool SelectorMatches(const Json& selector, const Json& labels);

// True when the container image looks like RabbitMQ ("rabbitmq" in the image name, not the tag).
bool IsRabbitMqContainer(const Json& container);

}  // namespace warren::check
