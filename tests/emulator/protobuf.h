// Just enough of Kubernetes' protobuf encoding to read what kubectl sends as protobuf: the
// objects its typed `kubectl create` commands build (namespace, configmap, secret, serviceaccount,
// role, rolebinding, clusterrole, clusterrolebinding, deployment, service) and a SelfSubjectAccessReview
// (`kubectl auth can-i`). Field numbers are those of the API's generated.proto files.
#pragma once

#include <optional>
#include <string>

#include "tests/emulator/schema.h"

namespace emulator {

// Decodes the "k8s\0" envelope (runtime.Unknown) around one of the kinds above into its JSON form;
// nullopt with `error` set for anything else (another kind, a field the emulator does not know).
std::optional<Json> DecodeObject(const std::string& body, std::string* error);

// Decodes the "k8s\0" envelope (runtime.Unknown) around an authorization.k8s.io/v1
// SelfSubjectAccessReview into its JSON form; nullopt if it is anything else.
std::optional<Json> DecodeSelfSubjectAccessReview(const std::string& body);

}  // namespace emulator
