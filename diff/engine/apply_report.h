// What a sync did, per object: the report `warren sync` prints, for Kubernetes objects and
// RabbitMQ objects alike.
#pragma once

#include <string>
#include <vector>

#include "diff/engine/report.h"

namespace warren::diff {

// kRetained: left in place on purpose (deletionPolicy: retain) and forgotten; converged.
enum class Outcome { kCreated, kConfigured, kRecreated, kPruned, kRetained, kSkipped, kFailed };
const char* OutcomeName(Outcome o);

struct ApplyResult {
  ObjectDiff object;  // what the diff said (key, action, changes)
  Outcome outcome = Outcome::kSkipped;
  std::string message;  // why skipped or failed, or what was done beyond the obvious
};

struct ApplyReport {
  bool dry_run = false;
  size_t unchanged = 0;
  std::vector<ApplyResult> results;
  size_t Count(Outcome o) const;
  // In sync after the run: nothing skipped, nothing failed.
  bool Converged() const { return Count(Outcome::kSkipped) == 0 && Count(Outcome::kFailed) == 0; }
};

std::string RenderApplyText(const ApplyReport& report);
Json ApplyToJson(const ApplyReport& report);

}  // namespace warren::diff
