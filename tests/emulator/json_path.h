// The JSONPath subset CRD printer columns use, as kubectl's jsonpath reads it: fields (.status.x),
// list indexes ([0]), wildcards ([*]) and equality filters ([?(@.type=="Ready")]). Paths are
// checked when the CRD is written, so an unusable one is refused there, not at print time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tests/emulator/schema.h"

namespace emulator {

struct PathStep {
  enum Kind { kField, kIndex, kAll, kFilter } kind = kField;
  std::string name;  // kField: the key; kFilter: the compared field (after "@.")
  size_t index = 0;  // kIndex
  Json value;        // kFilter: the value compared with
};

// The steps of `path`, or nullopt with `error` set ("unrecognized character in ...").
std::optional<std::vector<PathStep>> ParseJsonPath(const std::string& path, std::string* error);

// Every value `steps` reach in `object`, in document order.
std::vector<Json> EvaluateJsonPath(const std::vector<PathStep>& steps, const Json& object);

}  // namespace emulator
