// A custom resource checked against its CRD's openAPIV3Schema, as the API server does it: fields
// the schema does not declare are pruned (and named, for fieldValidation=Strict or Warn), then the
// values are validated (type, required, enum, pattern, bounds, lengths, item counts) with the
// messages a 1.32 server writes. apiVersion, kind and metadata are the server's, never pruned.
#pragma once

#include <string>
#include <vector>

#include "tests/emulator/schema.h"
#include "tests/emulator/validate.h"

namespace emulator {

// Removes from `object` what `schema` does not declare; returns the removed paths ("spec.foo"),
// in document order. Below x-kubernetes-preserve-unknown-fields everything is kept.
std::vector<std::string> PruneUnknownFields(const Json& schema, Json& object);

// The values of `object` against `schema`; field paths as the server writes them ("spec.interval").
std::vector<FieldError> ValidateAgainstSchema(const Json& schema, const Json& object);

}  // namespace emulator
