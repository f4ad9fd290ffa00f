// What the API server adds to an object it stores, per kind (../shared/reference/kubernetes-api.md
// §2): defaulting, conversion effects (Secret stringData, serviceAccount alias, volumeClaimTemplate
// apiVersion/kind), canonical quantities, and Service IP/nodePort allocation.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "tests/emulator/schema.h"

namespace emulator {

struct Allocator {
  std::function<std::string()> cluster_ip;  // a free ClusterIP
  std::function<int()> node_port;           // a free nodePort
};

// `old` is the stored object on update (null on create): Services keep their allocated values.
void ApplyDefaults(const std::string& kind, Json& obj, const Json* old, const Allocator& alloc);

// Kubernetes' canonical spelling of a quantity ("1000m" → "1", "0.5Gi" → "512Mi"); unparsable
// input comes back unchanged (validation rejects it).
std::string CanonicalQuantity(const std::string& q);

}  // namespace emulator
