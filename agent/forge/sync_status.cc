#include "agent/forge/sync_status.h"

namespace warren::forge {

StatusUpdate SyncStatusOf(const reconcile::Report& report) {
  using diff::Outcome;
  if (!report.error.ok()) return {State::kError, report.error.message()};
  size_t not_synced = 0, corrected = 0;
  std::string first_failed, first_skipped;
  for (const auto& r : report.applied.results) {
    std::string said = r.object.DisplayName() + ": " + r.message;
    if (r.outcome == Outcome::kFailed) {
      ++not_synced;
      if (first_failed.empty()) first_failed = said;
    } else if (r.outcome == Outcome::kSkipped) {
      ++not_synced;
      if (first_skipped.empty()) first_skipped = said;
    } else if (r.outcome != Outcome::kRetained) {
      ++corrected;
    }
  }
  if (not_synced > 0)
    return {State::kFailure,
            std::to_string(not_synced) + " not in sync: " + (first_failed.empty() ? first_skipped : first_failed)};
  size_t objects = report.applied.unchanged + report.applied.results.size();
  return {State::kSuccess, "in sync: " + std::to_string(objects) + " objects" +
                               (corrected ? ", " + std::to_string(corrected) + " corrected" : std::string())};
}

}  // namespace warren::forge
