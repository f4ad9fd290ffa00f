#include "diff/check/manifest_index.h"

namespace warren::check {
namespace {

// Where the pod spec sits in each workload kind.
const char* PodSpecPointer(const std::string& group, const std::string& kind) {
  if (group.empty() && kind == "Pod") return "/spec";
  if (group.empty() && kind == "PodTemplate") return "/template/spec";
  if (group == "batch" && kind == "CronJob") return "/spec/jobTemplate/spec/template/spec";
  if ((group == "apps" || group == "extensions") &&
      (kind == "StatefulSet" || kind == "Deployment" || kind == "DaemonSet" || kind == "ReplicaSet"))
    return "/spec/template/spec";
  if (group == "batch" && kind == "Job") return "/spec/template/spec";
  if (group.empty() && kind == "ReplicationController") return "/spec/template/spec";
  return nullptr;
}

}  // namespace

ManifestIndex::ManifestIndex(const std::vector<Object>& objects) : objects_(objects) {
  for (const Object& o : objects) {
    by_key_.emplace(o.key(), &o);
    const char* pointer = PodSpecPointer(o.group(), o.kind());
    if (!pointer) continue;
    Json::json_pointer spec_ptr(pointer);
    if (!o.doc().contains(spec_ptr) || !o.doc().at(spec_ptr).is_object()) continue;
    std::string p = pointer;
    std::string meta = p.substr(0, p.size() - 5) + "/metadata/labels";  // ".../spec" -> ".../metadata"
    Json::json_pointer labels_ptr(meta);
    Json labels = o.doc().contains(labels_ptr) ? o.doc().at(labels_ptr) : Json::object();
    if (o.kind() == "Pod") labels = o.doc().value("/metadata/labels"_json_pointer, Json::object());
    pods_.push_back(PodTemplate{&o, pointer, &o.doc().at(spec_ptr), labels});
  }
}

const Object* ManifestIndex::Find(const std::string& group, const std::string& kind, const std::string& ns,
                                  const std::string& name) const {
  auto it = by_key_.find(ResourceKey{group, kind, ns, name});
  return it == by_key_.end() ? nullptr : it->second;
}

std::vector<const Object*> ManifestIndex::OfKind(const std::string& group, const std::string& kind) const {
  std::vector<const Object*> out;
  for (const Object& o : objects_)
    if (o.group() == group && o.kind() == kind) out.push_back(&o);
  return out;
}

Finding MakeFinding(const char* rule, Severity severity, const Object& o, const std::string& pointer,
                    std::string message, std::string fix) {
  return Finding{rule, severity, o.key(), o.api_version(), o.LocationOf(pointer), std::move(message), std::move(fix)};
}

std::vector<ContainerRef> Containers(const PodTemplate& pod) {
  std::vector<ContainerRef> out;
  for (const char* list : {"initContainers", "containers"}) {
    auto it = pod.spec->find(list);
    if (it == pod.spec->end() || !it->is_array()) continue;
    for (size_t i = 0; i < it->size(); ++i)
      if ((*it)[i].is_object()) out.push_back({&(*it)[i], pod.pointer + "/" + list + "/" + std::to_string(i)});
  }
  return out;
}

const Json* EnvVar(const Json& container, const std::string& name) {
  auto env = container.find("env");
  if (env == container.end() || !env->is_array()) return nullptr;
  for (const Json& e : *env)
    if (e.is_object() && StringField(e, "name") == name) return &e;
  return nullptr;
}

bool SelectorMatches(const Json& selector, const Json& labels) {
  if (!selector.is_object() || selector.empty()) return false;
  for (auto it = selector.begin(); it != selector.end(); ++it) {
    auto l = labels.find(it.key());
    if (l == labels.end() || *l != it.value()) return false;
  }
  return true;
}

bool IsRabbitMqContainer(const Json& container) {
  std::string image = StringField(container, "image");
  auto at = image.find('@');
  if (at != std::string::npos) image.resize(at);
  auto slash = image.rfind('/');
  std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
  auto colon = last.find(':');
  if (colon != std::string::npos) last.resize(colon);
  return last.find("rabbitmq") != std::string::npos;
}

}  // namespace warren::check
