// The shapes of the built-in kinds as OpenAPI v3 component schemas, deep enough for
// `kubectl explain statefulset.spec.template.spec.containers`: the StatefulSet and the pod template
// all the way down, Services, ConfigMaps, Secrets, ServiceAccounts, PVCs, Namespaces and Pods.
// Descriptions are the emulator's own short words. Kinds not described here stay free-form.
#pragma once

#include <optional>
#include <string>

#include "tests/emulator/schema.h"

namespace emulator {

// The schema id of `kind` in group/version ("io.k8s.api.apps.v1.StatefulSet"), or "" when the
// emulator does not describe it.
std::string TypedSchemaId(const std::string& group, const std::string& version, const std::string& kind);

// Adds schema `id` and every schema it refers to (transitively) to `schemas`.
void AddSchemaClosure(const std::string& id, Json* schemas);

// Where a body cannot be read as its kind's type: an object or list where a scalar belongs, or the
// reverse (a scalar of another scalar type passes: int-or-string fields). The parts of the messages
// the API server writes: Go's JSON decoding for create and update, structured-merge-diff for apply.
struct ShapeMismatch {
  std::string path;       // "spec.template" (Go's field path: no list indexes)
  std::string go_struct;  // the struct holding the field: "StatefulSetSpec"
  std::string go_type;    // what the field is: "v1.PodTemplateSpec", "int32", "[]v1.Container"
  std::string found;      // JSON: "string", "number", "bool", "object", "array"
  std::string expected;   // structured-merge-diff's word: "map", "list" or "scalar"
};
std::optional<ShapeMismatch> FindShapeMismatch(const std::string& id, const Json& object);

}  // namespace emulator
