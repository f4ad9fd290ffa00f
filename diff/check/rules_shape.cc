// invalid-shape: a field the API server decodes into a struct, list or map holds another type
// (`spec: "3"`, `containers: {name: x}`). The server rejects such an object, and the other rules,
// which read these fields, never see it (fuzzing found them crashing on it).
#include "diff/check/rules.h"

namespace warren::check {
namespace {

enum class Want { kMapping, kSequence, kSequenceOfMappings };
struct Shape {
  const char* field;
  Want want;
  const char* key = nullptr;  // for lists merged by key: the field every item must have
};

// JSON Pointers of the fields the rules read, with the shape Kubernetes gives them.
const std::vector<Shape>& Shapes() {
  static const std::vector<Shape> kShapes = {
      {"/metadata", Want::kMapping},
      {"/metadata/labels", Want::kMapping},
      {"/metadata/annotations", Want::kMapping},
      {"/spec", Want::kMapping},
      {"/data", Want::kMapping},
      {"/stringData", Want::kMapping},
      {"/roleRef", Want::kMapping},
      {"/rules", Want::kSequenceOfMappings},
      {"/subjects", Want::kSequenceOfMappings},
      {"/spec/selector", Want::kMapping},
      {"/spec/selector/matchLabels", Want::kMapping},
      {"/spec/ports", Want::kSequenceOfMappings, "port"},
      {"/spec/volumeClaimTemplates", Want::kSequenceOfMappings},
      {"/spec/template", Want::kMapping},
      {"/spec/template/metadata", Want::kMapping},
      {"/spec/template/metadata/labels", Want::kMapping},
      {"/spec/template/spec", Want::kMapping},
      {"/spec/template/spec/containers", Want::kSequenceOfMappings, "name"},
      {"/spec/template/spec/initContainers", Want::kSequenceOfMappings, "name"},
      {"/spec/template/spec/volumes", Want::kSequenceOfMappings, "name"},
      {"/spec/template/spec/imagePullSecrets", Want::kSequenceOfMappings},
      {"/spec/containers", Want::kSequenceOfMappings, "name"},
      {"/spec/initContainers", Want::kSequenceOfMappings, "name"},
      {"/spec/volumes", Want::kSequenceOfMappings, "name"},
      {"/spec/definition", Want::kMapping},
  };
  return kShapes;
}

// Inside each container: the lists and structs the rules read.
const std::vector<Shape>& ContainerShapes() {
  static const std::vector<Shape> kShapes = {{"/env", Want::kSequenceOfMappings, "name"},
                                             {"/envFrom", Want::kSequenceOfMappings},
                                             {"/ports", Want::kSequenceOfMappings, "containerPort"},
                                             {"/resources", Want::kMapping},
                                             {"/resources/limits", Want::kMapping},
                                             {"/resources/requests", Want::kMapping},
                                             {"/volumeMounts", Want::kSequenceOfMappings, "mountPath"}};
  return kShapes;
}

const char* Describe(const Json& v) {
  if (v.is_object()) return "a mapping";
  if (v.is_array()) return "a sequence";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  return "null";
}

// The first field of `doc` under `base` that has the wrong shape: its pointer and what it is.
std::optional<std::pair<std::string, std::string>> Misshapen(const Json& doc, const std::string& base,
                                                             const std::vector<Shape>& shapes) {
  for (const auto& [field, want, key] : shapes) {
    std::string pointer = base + field;
    Json::json_pointer p(pointer);
    if (!doc.contains(p)) continue;
    const Json& v = doc.at(p);
    if (v.is_null()) continue;  // null is an absent field to the API server
    if (want == Want::kMapping && !v.is_object())
      return std::make_pair(pointer, std::string(Describe(v)) + ", not a mapping");
    if (want != Want::kMapping && !v.is_array())
      return std::make_pair(pointer, std::string(Describe(v)) + ", not a sequence");
    if (want == Want::kSequenceOfMappings)
      for (size_t i = 0; i < v.size(); ++i) {
        std::string item = pointer + "/" + std::to_string(i);
        if (!v[i].is_object()) return std::make_pair(item, std::string(Describe(v[i])) + ", not a mapping");
        // The item's identity when lists are merged (a required field too): without it, the
        // item cannot be paired with its live counterpart.
        if (key && (!v[i].contains(key) || v[i][key].is_null()))
          return std::make_pair(item, std::string("without its ") + key + ", which the list's items are told apart by");
      }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ShapeProblem(const Object& o) {
  try {
    if (auto bad = Misshapen(o.doc(), "", Shapes())) return bad;
    for (const char* pod_spec : {"/spec/template/spec", "/spec"})
      for (const char* list : {"/containers", "/initContainers"}) {
        Json::json_pointer p(std::string(pod_spec) + list);
        if (!o.doc().contains(p) || !o.doc().at(p).is_array()) continue;
        for (size_t i = 0; i < o.doc().at(p).size(); ++i)
          if (auto bad = Misshapen(o.doc(), std::string(pod_spec) + list + "/" + std::to_string(i), ContainerShapes()))
            return bad;
      }
  } catch (const Json::exception&) {
    return std::make_pair(std::string(""),
                          std::string("a field on the way is not a mapping"));  // e.g. /spec/template through a string
  }
  return std::nullopt;
}

}  // namespace warren::check
