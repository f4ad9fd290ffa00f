// Just enough of Kubernetes' protobuf encoding to read what kubectl sends as protobuf and the
// emulator must understand: a SelfSubjectAccessReview (`kubectl auth can-i`).
#pragma once

#include <optional>
#include <string>

#include "tests/emulator/schema.h"

namespace emulator {

// Decodes the "k8s\0" envelope (runtime.Unknown) around an authorization.k8s.io/v1
// SelfSubjectAccessReview into its JSON form; nullopt if it is anything else.
std::optional<Json> DecodeSelfSubjectAccessReview(const std::string& body);

}  // namespace emulator
