#include "tests/emulator/managed_fields.h"

#include <httplib.h>

#include <algorithm>
#include <map>

#include "tests/emulator/call.h"

namespace emulator {
namespace {

FieldSet SetOf(const FieldPath& p) {
  FieldSet one = Json::object();
  Json* n = &one;
  for (const std::string& el : p) n = &(*n)[el];
  *n = Json::object();
  return one;
}

}  // namespace

std::string ManagerOf(const httplib::Request& req) {
  if (req.has_param("fieldManager")) return req.get_param_value("fieldManager");
  std::string ua = req.get_header_value("User-Agent");
  std::string name = ua.substr(0, ua.find('/'));
  return name.empty() ? "unknown" : name;
}

std::string ManagerText(const Json& entry) {
  std::string out = "\"" + entry.value("manager", "") + "\"";
  if (entry.contains("subresource")) out += " with subresource \"" + entry.value("subresource", "") + "\"";
  if (entry.value("operation", "") == "Update") out += " using " + entry.value("apiVersion", "");
  return out;
}

bool SameEntry(const Json& e, const std::string& manager, const std::string& op, const std::string& sub) {
  return e.value("manager", "") == manager && e.value("operation", "") == op && e.value("subresource", "") == sub;
}

std::vector<Json> EntriesOf(const Json* obj) {
  std::vector<Json> out;
  if (obj && obj->contains("metadata") && (*obj)["metadata"].contains("managedFields"))
    for (const Json& e : (*obj)["metadata"]["managedFields"]) out.push_back(e);
  return out;
}

// Writes the entries back: empty ones dropped, Apply before Update, then by manager.
void StoreEntries(Json& obj, std::vector<Json> entries) {
  std::erase_if(entries, [](const Json& e) { return e["fieldsV1"].empty(); });
  std::stable_sort(entries.begin(), entries.end(), [](const Json& a, const Json& b) {
    return std::make_pair(a.value("operation", ""), a.value("manager", "")) <
           std::make_pair(b.value("operation", ""), b.value("manager", ""));
  });
  if (entries.empty())
    obj["metadata"].erase("managedFields");
  else
    obj["metadata"]["managedFields"] = entries;
}

Json NewEntry(const std::string& manager, const std::string& op, const std::string& api_version,
              const std::string& sub) {
  Json e = {{"manager", manager}, {"operation", op},          {"apiVersion", api_version},
            {"time", Now()},      {"fieldsType", "FieldsV1"}, {"fieldsV1", Json::object()}};
  if (!sub.empty()) e["subresource"] = sub;
  return e;
}

// A non-apply write: the fields it changed become the writer's and leave everyone else's; fields it
// removed leave every entry.
void RecordUpdate(const Resource& r, Json& obj, const Json* old, const std::string& manager, const std::string& sub) {
  std::vector<FieldPath> changed, removed;
  for (const FieldPath& p : Leaves(FieldSetOf(r.kind, obj))) {
    const Json* before = old ? ValueAt(r.kind, *old, p) : nullptr;
    const Json* after = ValueAt(r.kind, obj, p);
    if (p.back() == "." ? !before : (!before || !after || *before != *after)) changed.push_back(p);
  }
  if (old)
    for (const FieldPath& p : Leaves(FieldSetOf(r.kind, *old)))
      if (!ValueAt(r.kind, obj, p)) removed.push_back(p);
  std::vector<Json> entries = EntriesOf(old);
  auto mine =
      std::find_if(entries.begin(), entries.end(), [&](const Json& e) { return SameEntry(e, manager, "Update", sub); });
  if (mine == entries.end() && !changed.empty()) {
    entries.push_back(NewEntry(manager, "Update", r.GroupVersion(), sub));
    mine = entries.end() - 1;
  }
  for (auto e = entries.begin(); e != entries.end(); ++e) {
    for (const FieldPath& p : removed) Disown(&(*e)["fieldsV1"], p);
    if (e == mine) continue;
    for (const FieldPath& p : changed) Disown(&(*e)["fieldsV1"], p);
  }
  if (mine != entries.end()) {
    (*mine)["time"] = Now();
    for (const FieldPath& p : changed) (*mine)["fieldsV1"] = Union((*mine)["fieldsV1"], SetOf(p));
  }
  StoreEntries(obj, std::move(entries));
}

std::string ConflictMessage(const std::vector<std::pair<Json, std::string>>& conflicts) {
  std::map<std::string, std::vector<std::string>> by_manager;
  for (const auto& [entry, path] : conflicts) by_manager[ManagerText(entry)].push_back(path);
  size_t n = conflicts.size();
  std::string out = "Apply failed with " + std::to_string(n) + " conflict" + (n == 1 ? "" : "s") + ": ";
  if (n == 1) return out + "conflict with " + by_manager.begin()->first + ": " + conflicts[0].second;
  bool first = true;
  for (const auto& [manager, paths] : by_manager) {
    out += std::string(first ? "" : "\n") + "conflicts with " + manager + ":";
    for (const std::string& p : paths) out += "\n- " + p;
    first = false;
  }
  return out;
}

}  // namespace emulator
