// warren lint: runs every rule over a manifest set. Pure: objects in, findings out.
#pragma once

#include <string>
#include <vector>

#include "diff/check/finding.h"
#include "diff/model/object.h"

namespace warren::check {

struct RuleInfo {
  const char* id;
  Severity severity;  // the rule's usual severity (some rules also emit the other one)
  const char* summary;
};

// Every rule, in the order they run.
const std::vector<RuleInfo>& Rules();

// Findings sorted by file, line and rule.
Findings Lint(const std::vector<Object>& objects);

bool HasErrors(const Findings& findings);

// "file:line: error [rule] Kind ns/name: message\n    fix: ...", then a count line.
std::string RenderText(const Findings& findings);

// [{"rule","severity","object":{apiVersion,kind,namespace,name},"file","line","message","fix"}]
Json ToJson(const Findings& findings);

}  // namespace warren::check
