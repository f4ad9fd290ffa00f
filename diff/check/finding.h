// A lint finding: which rule, how bad, which object, where, what is wrong and how to fix it.
#pragma once

#include <string>
#include <vector>

#include "diff/model/object.h"

namespace warren::check {

enum class Severity { kError, kWarning };

inline const char* SeverityName(Severity s) { return s == Severity::kError ? "error" : "warning"; }

struct Finding {
  std::string rule;  // stable id, e.g. "missing-role"
  Severity severity = Severity::kError;
  ResourceKey object;
  std::string api_version;
  SourceLocation where;
  std::string message;  // one line: what is wrong and what it causes
  std::string fix;      // one line: what to change
};

using Findings = std::vector<Finding>;

}  // namespace warren::check
