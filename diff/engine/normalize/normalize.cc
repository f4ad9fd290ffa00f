#include "diff/engine/normalize.h"

#include <algorithm>
#include <iterator>

namespace warren::diff {
namespace {

// The API server sets kubernetes.io/metadata.name on every Namespace (since 1.21) and it cannot be
// changed; written into the desired side, it is neither drift nor a removal, whoever owns it.
void NormalizeNamespace(Json& doc) {
  // A copy: adding "labels" to metadata may move its "name" (see sorted_map.h).
  const Json name = Field(Field(doc, "metadata"), "name");
  if (!name.is_string()) return;
  Json& labels = doc["metadata"]["labels"];
  if (!labels.is_object()) labels = Json::object();
  labels["kubernetes.io/metadata.name"] = name;
}

constexpr const char* kServerMetadata[] = {
    "uid",      "resourceVersion", "generation",        "creationTimestamp",
    "selfLink", "managedFields",   "deletionTimestamp", "deletionGracePeriodSeconds"};

bool IsServerMetadata(const std::string& field) {
  return std::any_of(std::begin(kServerMetadata), std::end(kServerMetadata), [&](const char* f) { return field == f; });
}

}  // namespace

Json CopyToNormalize(const Json& doc) {
  if (!doc.is_object()) return doc;
  Json out = Json::object();
  auto& members = out.get_ref<Json::object_t&>();
  members.reserve(doc.size());
  // In the source's (sorted) order, so the copy stays sorted.
  for (const auto& [key, value] : doc.get_ref<const Json::object_t&>()) {
    if (key == "status") continue;
    if (key != "metadata" || !value.is_object()) {
      members.emplace_back(key, value);
      continue;
    }
    Json meta = Json::object();
    auto& fields = meta.get_ref<Json::object_t&>();
    for (const auto& [field, v] : value.get_ref<const Json::object_t&>())
      if (!IsServerMetadata(field)) fields.emplace_back(field, v);
    members.emplace_back(key, std::move(meta));
  }
  return out;
}

void Normalize(const std::string& group, const std::string& kind, Side side, Json& doc) {
  // Server-only metadata and status are never desired state.
  if (auto meta = doc.find("metadata"); meta != doc.end() && meta->is_object()) {
    for (const char* f : kServerMetadata) meta->erase(f);
  }
  doc.erase("status");
  if (group == "apps" && kind == "StatefulSet")
    NormalizeStatefulSet(side, doc);
  else if (group.empty() && kind == "Service")
    NormalizeService(side, doc);
  else if (group.empty() && kind == "Secret")
    NormalizeSecret(side, doc);
  else if (group.empty() && kind == "Pod" && doc.contains("spec"))
    NormalizePodSpec(doc["spec"]);
  else if (group == "rbac.authorization.k8s.io")
    NormalizeRbac(kind, doc);
  else if (group.empty() && kind == "Namespace" && side == Side::kDesired)
    NormalizeNamespace(doc);
}

}  // namespace warren::diff
