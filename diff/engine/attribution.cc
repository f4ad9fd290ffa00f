#include "diff/engine/attribution.h"

#include "diff/engine/compare.h"

namespace warren::diff {
namespace {

// A keyed list item's own pointer means "this item exists", not "every field in it": it owns the
// item's removal, never a change inside it.
bool IsListItem(const Json& live_raw, const std::string& pointer) {
  size_t slash = pointer.rfind('/');
  if (slash == std::string::npos || slash == 0) return false;
  Json::json_pointer parent(pointer.substr(0, slash));
  return live_raw.contains(parent) && live_raw.at(parent).is_array();
}

bool OwnsChange(const Json& live_raw, const std::string& owned, const std::string& changed) {
  if (PointerUnder(owned, changed)) return true;                        // the field, or something below it
  return PointerUnder(changed, owned) && !IsListItem(live_raw, owned);  // an atomic field above it
}

}  // namespace

void Attribute(const Json& live_raw, const std::string& self, std::vector<Change>* changes) {
  const Json& entries = Field(Field(live_raw, "metadata"), "managedFields");
  if (!entries.is_array() || changes->empty()) return;
  for (const Json& e : entries) {
    std::string manager = StringField(e, "manager");
    if (manager == self) continue;
    FieldWriter w{manager, StringField(e, "operation"), StringField(e, "subresource"), StringField(e, "time")};
    std::vector<std::string> owned = EntryPointers(e, live_raw);
    for (Change& c : *changes) {
      if (c.op == Op::kAdd) continue;                              // nobody owns a field that is not there
      if (c.changed_by && c.changed_by->time >= w.time) continue;  // RFC 3339 in UTC sorts as text
      for (const std::string& p : owned) {
        if (!OwnsChange(live_raw, p, c.path)) continue;
        c.changed_by = w;
        break;
      }
    }
  }
}

std::string WriteText(const FieldWriter& w) {
  std::string out = w.operation;
  if (!w.subresource.empty()) out += " /" + w.subresource;
  if (!w.time.empty()) out += ", " + w.time;
  return out;
}

std::string WriterText(const FieldWriter& w) { return w.manager + ", " + WriteText(w); }

}  // namespace warren::diff
