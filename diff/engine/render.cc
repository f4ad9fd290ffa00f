#include "diff/engine/render.h"

namespace warren::diff {
namespace {

const char* Sigil(Action a) {
  switch (a) {
    case Action::kCreate:
      return "+";
    case Action::kUpdate:
      return "~";
    case Action::kRecreate:
      return "!";
    case Action::kPrune:
      return "-";
    case Action::kUnchanged:
      return "=";
    case Action::kExtra:
      return "?";
  }
  return "?";
}

const char* Color(Action a) {
  switch (a) {
    case Action::kCreate:
      return "\033[32m";
    case Action::kUpdate:
      return "\033[33m";
    case Action::kRecreate:
      return "\033[35m";
    case Action::kPrune:
      return "\033[31m";
    case Action::kUnchanged:
      return "";
    case Action::kExtra:
      return "\033[36m";
  }
  return "";
}

std::string Short(const Json& v) {
  std::string s = v.dump();
  if (s.size() > 120) s = s.substr(0, 117) + "...";
  return s;
}

std::string ChangeValues(const Change& c) {
  if (c.masked) {
    const char* what = c.op == Op::kAdd ? "added" : c.op == Op::kRemove ? "removed" : "changed";
    return c.field + ": " + what + " (value hidden)";
  }
  switch (c.op) {
    case Op::kAdd:
      return c.field + ": (absent) → " + Short(c.to);
    case Op::kRemove:
      return c.field + ": " + Short(c.from) + " → (removed)";
    case Op::kReplace:
      return c.field + ": " + Short(c.from) + " → " + Short(c.to);
  }
  return "";
}

// `.spec.replicas: 4 → 3  (set by kubectl, Update /scale, 2026-12-02T14:02:11Z)`
std::string ChangeLine(const Change& c) {
  std::string line = ChangeValues(c);
  if (c.changed_by) line += "  (set by " + WriterText(*c.changed_by) + ")";
  return line;
}

}  // namespace

std::string RenderText(const DiffReport& report, bool color) {
  std::string out;
  const char* reset = color ? "\033[0m" : "";
  for (const ObjectDiff& o : report.objects) {
    if (o.action == Action::kUnchanged) continue;
    out += std::string(color ? Color(o.action) : "") + Sigil(o.action) + " " + o.DisplayName() + "  (" +
           ActionName(o.action) + (o.reason.empty() ? "" : ": " + o.reason) + ")" + reset + "\n";
    for (const Change& c : o.changes) out += "    " + ChangeLine(c) + "\n";
  }
  out += std::to_string(report.Count(Action::kCreate)) + " to create, " +
         std::to_string(report.Count(Action::kUpdate)) + " to update, " +
         std::to_string(report.Count(Action::kRecreate)) + " to recreate, " +
         std::to_string(report.Count(Action::kPrune)) + " to prune, " +
         std::to_string(report.Count(Action::kUnchanged)) + " unchanged";
  if (size_t extra = report.Count(Action::kExtra)) out += ", " + std::to_string(extra) + " extra (left alone)";
  out += "\n";
  return out;
}

Json ToJson(const DiffReport& report) {
  Json objects = Json::array();
  for (const ObjectDiff& o : report.objects) {
    Json j = {{"target", o.in_broker ? "rabbitmq" : "kubernetes"},
              {"apiVersion", o.api_version},
              {"kind", o.key.kind},
              {o.in_broker ? "vhost" : "namespace", o.key.ns},
              {"name", o.key.name},
              {"action", ActionName(o.action)}};
    if (!o.reason.empty()) j["reason"] = o.reason;
    Json changes = Json::array();
    for (const Change& c : o.changes) {
      Json cj = {{"path", c.path}, {"field", c.field}, {"op", OpName(c.op)}};
      if (c.masked)
        cj["masked"] = true;
      else {
        if (c.op != Op::kAdd) cj["from"] = c.from;
        if (c.op != Op::kRemove) cj["to"] = c.to;
      }
      if (c.changed_by) {
        const FieldWriter& w = *c.changed_by;
        cj["changedBy"] = {{"manager", w.manager}, {"operation", w.operation}, {"time", w.time}};
        if (!w.subresource.empty()) cj["changedBy"]["subresource"] = w.subresource;
      }
      changes.push_back(std::move(cj));
    }
    j["changes"] = std::move(changes);
    objects.push_back(std::move(j));
  }
  Json summary = Json::object();
  for (Action a :
       {Action::kCreate, Action::kUpdate, Action::kRecreate, Action::kPrune, Action::kUnchanged, Action::kExtra})
    summary[ActionName(a)] = report.Count(a);
  return {{"objects", std::move(objects)}, {"summary", std::move(summary)}};
}

}  // namespace warren::diff
