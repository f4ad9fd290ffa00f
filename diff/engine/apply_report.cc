#include "diff/engine/apply_report.h"

namespace warren::diff {
namespace {

constexpr Outcome kAll[] = {Outcome::kCreated,     Outcome::kConfigured, Outcome::kRecreated,
                            Outcome::kPruned,      Outcome::kRetained,   Outcome::kLeftInPlace,
                            Outcome::kNeedsAction, Outcome::kSkipped,    Outcome::kFailed};

// The JSON summary's keys.
const char* CamelName(Outcome o) {
  switch (o) {
    case Outcome::kLeftInPlace:
      return "leftInPlace";
    case Outcome::kNeedsAction:
      return "needsAction";
    default:
      return OutcomeName(o);
  }
}

}  // namespace

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
    case Outcome::kLeftInPlace:
      return "left in place";
    case Outcome::kNeedsAction:
      return "needs action";
    case Outcome::kSkipped:
      return "skipped";
    case Outcome::kFailed:
      return "failed";
  }
  return "?";
}

OutcomeClass ClassOf(Outcome o) {
  switch (o) {
    case Outcome::kNeedsAction:
      return OutcomeClass::kNeedsAction;
    case Outcome::kSkipped:
    case Outcome::kFailed:
      return OutcomeClass::kFailed;
    default:
      return OutcomeClass::kInSync;
  }
}

size_t ApplyReport::Count(Outcome o) const {
  size_t n = 0;
  for (const ApplyResult& r : results) n += r.outcome == o;
  return n;
}

OutcomeClass ApplyReport::Class() const {
  OutcomeClass worst = OutcomeClass::kInSync;
  for (const ApplyResult& r : results) {
    OutcomeClass c = ClassOf(r.outcome);
    if (c == OutcomeClass::kFailed) return c;
    if (c == OutcomeClass::kNeedsAction) worst = c;
  }
  return worst;
}

const ApplyResult* ApplyReport::First(OutcomeClass c) const {
  // A skipped object is the consequence of a failure: the failure is named first.
  if (c == OutcomeClass::kFailed)
    for (const ApplyResult& r : results)
      if (r.outcome == Outcome::kFailed) return &r;
  for (const ApplyResult& r : results)
    if (ClassOf(r.outcome) == c) return &r;
  return nullptr;
}

std::string OrphansNote(const ApplyReport& report) {
  std::vector<std::string> names;
  for (const ApplyResult& r : report.results)
    if (r.Orphaned()) names.push_back(r.object.DisplayName());
  if (names.empty()) return "";
  return std::to_string(names.size()) + (names.size() == 1 ? " object" : " objects") +
         " removed from git left in place: " + FirstNames(names) + " — prune is off";
}

std::string RenderApplyText(const ApplyReport& report) {
  std::string out;
  const char* suffix = report.dry_run ? " (dry run)" : "";
  for (const ApplyResult& r : report.results) {
    out += r.object.DisplayName() + ": " + OutcomeName(r.outcome) +
           (ClassOf(r.outcome) == OutcomeClass::kInSync ? suffix : "");
    if (!r.message.empty()) out += ": " + r.message;
    out += "\n";
  }
  std::string summary;
  for (Outcome o : {Outcome::kCreated, Outcome::kConfigured, Outcome::kRecreated, Outcome::kPruned, Outcome::kFailed})
    summary += std::to_string(report.Count(o)) + " " + OutcomeName(o) + ", ";
  out += summary + std::to_string(report.unchanged) + " unchanged";
  // The rarer outcomes only when they happened.
  for (Outcome o : {Outcome::kNeedsAction, Outcome::kSkipped, Outcome::kLeftInPlace, Outcome::kRetained})
    if (size_t n = report.Count(o)) out += ", " + std::to_string(n) + " " + OutcomeName(o);
  out += std::string(suffix) + "\n";
  if (std::string orphans = OrphansNote(report); !orphans.empty())
    out += (report.Class() == OutcomeClass::kInSync ? "in sync; " : "") + orphans + "\n";
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
              {"outcome", CamelName(r.outcome)}};
    if (!r.message.empty()) j["message"] = r.message;
    results.push_back(std::move(j));
  }
  Json summary = {{"unchanged", report.unchanged}};
  for (Outcome o : kAll) summary[CamelName(o)] = report.Count(o);
  const char* verdict = report.Class() == OutcomeClass::kInSync        ? "inSync"
                        : report.Class() == OutcomeClass::kNeedsAction ? "needsAction"
                                                                       : "failed";
  return {{"dryRun", report.dry_run},
          {"result", verdict},
          {"results", std::move(results)},
          {"summary", std::move(summary)}};
}

}  // namespace warren::diff
