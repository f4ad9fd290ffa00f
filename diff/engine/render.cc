#include "diff/engine/render.h"

#include "diff/model/json_tree_builder.h"

namespace warren::diff {
namespace {

// An object whose members are added in any order and sorted once when done: the JSON report of
// 10,000 objects is built here, where an initializer list copies every value through a pair.
class ObjectBuilder {
 public:
  ObjectBuilder& Add(const char* key, Json value) {
    out_.get_ref<Json::object_t&>().emplace_back(key, std::move(value));
    return *this;
  }
  Json Done() {
    FinishObject(out_.get_ref<Json::object_t&>());
    return std::move(out_);
  }

 private:
  Json out_ = Json::object();
};

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
  objects.get_ref<Json::array_t&>().reserve(report.objects.size());
  for (const ObjectDiff& o : report.objects) {
    ObjectBuilder j;
    j.Add("target", o.in_broker ? "rabbitmq" : "kubernetes")
        .Add("apiVersion", o.api_version)
        .Add("kind", o.key.kind)
        .Add(o.in_broker ? "vhost" : "namespace", o.key.ns)
        .Add("name", o.key.name)
        .Add("action", ActionName(o.action));
    if (!o.reason.empty()) j.Add("reason", o.reason);
    Json changes = Json::array();
    for (const Change& c : o.changes) {
      ObjectBuilder cj;
      cj.Add("path", c.path).Add("field", c.field).Add("op", OpName(c.op));
      if (c.masked) {
        cj.Add("masked", true);
      } else {
        if (c.op != Op::kAdd) cj.Add("from", c.from);
        if (c.op != Op::kRemove) cj.Add("to", c.to);
      }
      if (c.changed_by) {
        const FieldWriter& w = *c.changed_by;
        ObjectBuilder by;
        by.Add("manager", w.manager).Add("operation", w.operation).Add("time", w.time);
        if (!w.subresource.empty()) by.Add("subresource", w.subresource);
        cj.Add("changedBy", by.Done());
      }
      changes.push_back(cj.Done());
    }
    objects.push_back(j.Add("changes", std::move(changes)).Done());
  }
  Json summary = Json::object();
  for (Action a :
       {Action::kCreate, Action::kUpdate, Action::kRecreate, Action::kPrune, Action::kUnchanged, Action::kExtra})
    summary[ActionName(a)] = report.Count(a);
  return {{"objects", std::move(objects)}, {"summary", std::move(summary)}};
}

}  // namespace warren::diff
