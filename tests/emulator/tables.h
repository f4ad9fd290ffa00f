// Server-side printing: what `kubectl get` asks for with
// Accept: application/json;as=Table;v=v1;g=meta.k8s.io. The columns and cells follow the API
// server's printers for the kinds the emulator serves (READY 3/3, STATUS, PORT(S), ...); priority
// 1 columns are the ones `-o wide` adds. Kinds without printers (the rabbitmq.com resources) get
// NAME and AGE, as a CRD without printer columns does.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "tests/emulator/resources.h"

namespace emulator {

// True when an Accept header asks for a meta.k8s.io Table.
bool WantsTable(const std::string& accept);

// `include_object`: the includeObject parameter (None, Metadata (default) or Object).
// `list_metadata`: the list's metadata (resourceVersion, continue), copied to the Table.
Json ToTable(const Resource& r, const std::vector<Json>& objects, const std::string& include_object,
             const Json& list_metadata, std::time_t now);

// Kubernetes' short age: 45s, 5m30s, 3h, 2d5h, 1y30d.
std::string HumanDuration(long long seconds);

}  // namespace emulator
