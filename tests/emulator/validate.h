// Validation the emulator enforces, with the messages a 1.32 API server writes: required fields,
// the apps/v1 selector, and the immutable fields of StatefulSet, RoleBinding, Service and
// immutable Secrets/ConfigMaps.
#pragma once

#include <string>
#include <vector>

#include "tests/emulator/schema.h"

namespace emulator {

struct FieldError {
  std::string type;   // FieldValueRequired, FieldValueInvalid, FieldValueForbidden
  std::string field;  // spec.selector
  std::string body;   // Required value: ... / Invalid value: ...: ... / Forbidden: ...
};

// `old` is null on create.
std::vector<FieldError> Validate(const std::string& kind, const Json& obj, const Json* old);

}  // namespace emulator
