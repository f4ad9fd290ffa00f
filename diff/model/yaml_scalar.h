// How a plain YAML scalar reads, as Kubernetes' reader (go-yaml v2 under sigs.k8s.io/yaml) reads
// it: the rules both YAML readers share, yaml-cpp's (decode) and the fast one (fast_yaml).
#pragma once

#include <string>

#include "diff/model/object.h"

namespace warren {

// Resolves a plain (unquoted, untagged) YAML 1.1 scalar as go-yaml v2 does. Exposed for tests
// and for the lint rule that explains surprising booleans.
Json ResolvePlainScalar(const std::string& text);

// The string a resolved mapping key becomes (JSON keys are strings): `true: x` → "true",
// `1: x` → "1", `null: x` → "null".
std::string MappingKeyString(const Json& key);

}  // namespace warren
