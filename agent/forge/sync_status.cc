#include "agent/forge/sync_status.h"

namespace warren::forge {

StatusUpdate SyncStatusOf(const reconcile::Report& report) {
  using diff::OutcomeClass;
  if (!report.error.ok()) return {State::kError, report.error.message()};
  size_t failed = 0, needs_action = 0, corrected = 0;
  for (const auto& r : report.applied.results) {
    switch (diff::ClassOf(r.outcome)) {
      case OutcomeClass::kFailed:
        ++failed;
        break;
      case OutcomeClass::kNeedsAction:
        ++needs_action;
        break;
      case OutcomeClass::kInSync:
        corrected += r.outcome != diff::Outcome::kRetained && r.outcome != diff::Outcome::kLeftInPlace;
        break;
    }
  }
  OutcomeClass c = report.applied.Class();
  if (c != OutcomeClass::kInSync) {
    const diff::ApplyResult& first = *report.applied.First(c);
    std::string said = first.object.DisplayName() + ": " + first.message;
    if (c == OutcomeClass::kFailed) return {State::kFailure, std::to_string(failed) + " not in sync: " + said};
    return {State::kFailure,
            std::to_string(needs_action) + " need" + (needs_action == 1 ? "s" : "") + " action: " + said};
  }
  size_t objects = report.applied.unchanged + report.applied.results.size();
  std::string out = "in sync: " + std::to_string(objects) + " objects" +
                    (corrected ? ", " + std::to_string(corrected) + " corrected" : std::string());
  if (std::string orphans = diff::OrphansNote(report.applied); !orphans.empty()) out += "; " + orphans;
  return {State::kSuccess, out};
}

}  // namespace warren::forge
