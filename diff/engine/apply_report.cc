#include "diff/engine/apply_report.h"

namespace warren::diff {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kCreated:
      return "created";
    case Outcome::kConfigured:
      return "configured";
    case Outcome::kRecreated:
      return "recreated";
    case Outcome::kPruned:
      return "pruned";
    case Outcome::kRetained:
      return "retained";
    case Outcome::kSkipped:
      return "skipped";
    case Outcome::kFailed:
      return "failed";
  }
  return "?";
}

size_t ApplyReport::Count(Outcome o) const {
  size_t n = 0;
  for (const ApplyResult& r : results) n += r.outcome == o;
  return n;
}

std::string RenderApplyText(const ApplyReport& report) {
  std::string out;
  const char* suffix = report.dry_run ? " (dry run)" : "";
  for (const ApplyResult& r : report.results) {
    out += r.object.DisplayName() + ": " + OutcomeName(r.outcome) +
           (r.outcome == Outcome::kSkipped || r.outcome == Outcome::kFailed ? "" : suffix);
    if (!r.message.empty()) out += ": " + r.message;
    out += "\n";
  }
  std::string summary;
  for (Outcome o : {Outcome::kCreated, Outcome::kConfigured, Outcome::kRecreated, Outcome::kPruned, Outcome::kSkipped,
                    Outcome::kFailed})
    summary += std::to_string(report.Count(o)) + " " + OutcomeName(o) + ", ";
  out += summary + std::to_string(report.unchanged) + " unchanged";
  if (size_t retained = report.Count(Outcome::kRetained))
    out += ", " + std::to_string(retained) + " retained";  // rare: only then
  out += std::string(suffix) + "\n";
  return out;
}

Json ApplyToJson(const ApplyReport& report) {
  Json results = Json::array();
  for (const ApplyResult& r : report.results) {
    const ObjectDiff& o = r.object;
    Json j = {{"target", o.in_broker ? "rabbitmq" : "kubernetes"},
              {"kind", o.key.kind},
              {o.in_broker ? "vhost" : "namespace", o.key.ns},
              {"name", o.key.name},
              {"action", ActionName(o.action)},
              {"outcome", OutcomeName(r.outcome)}};
    if (!r.message.empty()) j["message"] = r.message;
    results.push_back(std::move(j));
  }
  Json summary = {{"unchanged", report.unchanged}};
  for (Outcome o : {Outcome::kCreated, Outcome::kConfigured, Outcome::kRecreated, Outcome::kPruned, Outcome::kRetained,
                    Outcome::kSkipped, Outcome::kFailed})
    summary[OutcomeName(o)] = report.Count(o);
  return {{"dryRun", report.dry_run}, {"results", std::move(results)}, {"summary", std::move(summary)}};
}

}  // namespace warren::diff
