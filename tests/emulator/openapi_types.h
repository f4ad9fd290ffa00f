// The shapes of the built-in kinds as OpenAPI v3 component schemas, deep enough for
// `kubectl explain statefulset.spec.template.spec.containers`: the StatefulSet and the pod template
// all the way down, Services, ConfigMaps, Secrets, ServiceAccounts, PVCs, Namespaces and Pods.
// Descriptions are the emulator's own short words. Kinds not described here stay free-form.
#pragma once

#include <string>

#include "tests/emulator/schema.h"

namespace emulator {

// The schema id of `kind` in group/version ("io.k8s.api.apps.v1.StatefulSet"), or "" when the
// emulator does not describe it.
std::string TypedSchemaId(const std::string& group, const std::string& version, const std::string& kind);

// Adds schema `id` and every schema it refers to (transitively) to `schemas`.
void AddSchemaClosure(const std::string& id, Json* schemas);

}  // namespace emulator
