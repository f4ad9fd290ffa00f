#include "diff/engine/compare.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "diff/engine/list_keys.h"

namespace warren::diff {
namespace {

bool IsEmpty(const Json& v) { return v.is_null() || ((v.is_object() || v.is_array()) && v.empty()); }

// Where the walk is: a chain of steps back to the document's root, spelled out (as a JSON
// pointer and as a field path) only where a change is recorded; most of a walk finds none, and
// spelling every step took a string or two per field compared. A step refers to its parent and
// its key, which outlive it (both are the caller's).
struct Path {
  const Path* parent = nullptr;      // null: the root
  const std::string* key = nullptr;  // a member's name, or an item's key ("" when it has none)
  size_t index = 0;                  // an item's index
  bool item = false;

  std::string Pointer() const {
    if (!parent) return "";
    return parent->Pointer() + "/" + (item ? std::to_string(index) : EscapePointerToken(*key));
  }
  std::string FieldPath() const {
    if (!parent) return "";
    if (!item) return parent->FieldPath() + "." + *key;
    return parent->FieldPath() + "[" + (key->empty() ? std::to_string(index) : *key) + "]";
  }
};

Path Child(const Path& p, const std::string& key) { return {&p, &key, 0, false}; }
Path Child(const Path& p, std::string&& key) = delete;  // the step would outlive its key

Path Item(const Path& p, size_t index, const std::string& key) { return {&p, &key, index, true}; }
Path Item(const Path& p, size_t index, std::string&& key) = delete;

void Add(std::vector<Change>* out, const Path& p, Op op, const Json* from, const Json* to) {
  Change c;
  c.path = p.Pointer();
  c.field = p.parent ? p.FieldPath() : ".";
  c.op = op;
  if (from) c.from = *from;
  if (to) c.to = *to;
  out->push_back(std::move(c));
}

// True when every field desired sets has the same value in live (the atomic-list item rule).
bool Covers(const Json& d, const Json& l) {
  if (d.is_object()) {
    if (!l.is_object()) return IsEmpty(d) && l.is_null();
    for (auto it = d.begin(); it != d.end(); ++it) {
      if (IsEmpty(it.value())) continue;
      auto li = l.find(it.key());
      if (li == l.end() || !Covers(it.value(), *li)) return false;
    }
    return true;
  }
  if (d.is_array()) {
    if (!l.is_array() || d.size() != l.size()) return false;
    for (size_t i = 0; i < d.size(); ++i)
      if (!Covers(d[i], l[i])) return false;
    return true;
  }
  return d == l;
}

void CompareValue(const Json& d, const Json& l, const Path& p, const std::string& field_name, std::vector<Change>* out);

// For each desired item, the live item with the same key, or npos. Items sharing a key (two env
// entries of one name, which the API server keeps) pair in order of appearance (found by fuzzing:
// the second one was reported as removed and added). Lists are short (a container's env, its
// ports): searched in place, indexed only when long.
std::vector<size_t> PairByKey(const std::vector<std::string>& desired, const std::vector<std::string>& live) {
  constexpr size_t npos = std::string::npos;
  std::vector<size_t> out(desired.size(), npos);
  if (desired.size() * live.size() <= 256) {
    for (size_t i = 0; i < desired.size(); ++i) {
      size_t occurrence = std::count(desired.begin(), desired.begin() + static_cast<std::ptrdiff_t>(i), desired[i]);
      for (size_t j = 0; j < live.size(); ++j)
        if (live[j] == desired[i] && occurrence-- == 0) {
          out[i] = j;
          break;
        }
    }
    return out;
  }
  std::unordered_map<std::string_view, std::vector<size_t>> live_index;
  for (size_t j = 0; j < live.size(); ++j) live_index[live[j]].push_back(j);
  std::unordered_map<std::string_view, size_t> seen;
  for (size_t i = 0; i < desired.size(); ++i) {
    auto it = live_index.find(desired[i]);
    size_t occurrence = seen[desired[i]]++;
    if (it != live_index.end() && occurrence < it->second.size()) out[i] = it->second[occurrence];
  }
  return out;
}

void CompareKeyedList(const Json& d, const Json& l, const Path& p, const std::vector<std::string>& keys,
                      std::vector<Change>* out) {
  std::vector<std::string> desired_keys, live_keys;
  desired_keys.reserve(d.size());
  live_keys.reserve(l.size());
  for (const Json& item : d) desired_keys.push_back(ItemKey(item, keys));
  for (const Json& item : l) live_keys.push_back(ItemKey(item, keys));
  std::vector<size_t> pairs = PairByKey(desired_keys, live_keys);
  std::vector<bool> matched(l.size(), false);
  for (size_t i = 0; i < d.size(); ++i) {
    size_t li = pairs[i];
    if (li == std::string::npos) {
      Add(out, Item(p, i, desired_keys[i]), Op::kAdd, nullptr, &d[i]);
      continue;
    }
    matched[li] = true;
    CompareValue(d[i], l[li], Item(p, li, live_keys[li]), "", out);
  }
  for (size_t i = 0; i < l.size(); ++i)
    if (!matched[i]) Add(out, Item(p, i, live_keys[i]), Op::kRemove, &l[i], nullptr);
}

void CompareValue(const Json& d, const Json& l, const Path& p, const std::string& field_name,
                  std::vector<Change>* out) {
  if (d.is_object() && l.is_object()) {
    for (auto it = d.begin(); it != d.end(); ++it) {
      if (it.value().is_null()) continue;  // null in desired means "not set"
      Path child = Child(p, it.key());
      auto li = l.find(it.key());
      if (li == l.end() || li->is_null()) {
        if (!IsEmpty(it.value())) Add(out, child, Op::kAdd, nullptr, &it.value());
        continue;
      }
      CompareValue(it.value(), *li, child, it.key(), out);
    }
    return;
  }
  if (d.is_array() && l.is_array()) {
    const Json& sample = !d.empty() ? d[0] : (!l.empty() ? l[0] : Json());
    if (const auto* keys = ListKeys(field_name, sample)) {
      CompareKeyedList(d, l, p, *keys, out);
      return;
    }
    if (!Covers(d, l)) Add(out, p, Op::kReplace, &l, &d);
    return;
  }
  if (IsEmpty(d) && IsEmpty(l)) return;
  if (d != l) Add(out, p, Op::kReplace, &l, &d);
}

const Json* FindKeyedItem(const Json& list, const Json& key) {
  if (!list.is_array()) return nullptr;
  for (const Json& item : list) {
    bool all = true;
    for (auto it = key.begin(); it != key.end() && all; ++it)
      all = item.is_object() && item.contains(it.key()) && item[it.key()] == it.value();
    if (all) return &item;
  }
  return nullptr;
}

size_t IndexOf(const Json& list, const Json* item) {
  for (size_t i = 0; i < list.size(); ++i)
    if (&list[i] == item) return i;
  return 0;
}

// Walks a fieldsV1 tree over live (and desired where it still has the field).
void WalkOwned(const Json& fields, const Json* d, const Json& l, const Path& p, std::vector<Change>* removals,
               std::vector<std::string>* owned) {
  if (!fields.is_object()) return;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    const std::string& k = it.key();
    if (k.size() < 2 || k[1] != ':') continue;
    if (k[0] == 'f' && l.is_object()) {
      std::string name = k.substr(2);
      auto li = l.find(name);
      if (li == l.end()) continue;
      Path child = Child(p, name);
      const Json* dv = (d && d->is_object() && d->contains(name) && !(*d)[name].is_null()) ? &(*d)[name] : nullptr;
      bool leaf = it.value().empty() || (it.value().size() == 1 && it.value().contains("."));
      if (owned && leaf) owned->push_back(child.Pointer());
      if (!dv && removals) {
        // A map (labels, annotations, data) or struct that desired no longer writes may hold keys
        // others set (the server's namespace label, `kubectl label`): only warren's keys go.
        static const Json kAbsent = Json::object();
        if (li->is_object() && !leaf)
          WalkOwned(it.value(), &kAbsent, *li, child, removals, owned);
        else
          Add(removals, child, Op::kRemove, &*li, nullptr);
        continue;
      }
      WalkOwned(it.value(), dv, *li, child, removals, owned);
    } else if (k[0] == 'k' && l.is_array()) {
      Json key = Json::parse(k.substr(2), nullptr, false);
      if (!key.is_object()) continue;
      const Json* li = FindKeyedItem(l, key);
      if (!li) continue;
      std::vector<std::string> names;
      for (auto kk = key.begin(); kk != key.end(); ++kk) names.push_back(kk.key());
      const std::string item_key = ItemKey(*li, names);
      Path item = Item(p, IndexOf(l, li), item_key);
      if (owned) owned->push_back(item.Pointer());
      const Json* di = d ? FindKeyedItem(*d, key) : nullptr;
      // An item missing from desired is already a removal found by the keyed-list compare.
      if (di || owned) WalkOwned(it.value(), di, *li, item, di ? removals : nullptr, owned);
    }
  }
}

const Json* ManagerEntry(const Json& live_raw, const std::string& manager, bool apply_only) {
  const Json& mf = Field(Field(live_raw, "metadata"), "managedFields");
  if (!mf.is_array()) return nullptr;
  for (const Json& e : mf)
    if (StringField(e, "manager") == manager && (!apply_only || StringField(e, "operation") == "Apply") &&
        StringField(e, "subresource").empty())
      return &e;
  return nullptr;
}

}  // namespace

void CompareObjects(const Json& desired, const Json& live, std::vector<Change>* out) {
  for (auto it = desired.begin(); it != desired.end(); ++it) {
    if (it.key() == "apiVersion" || it.key() == "kind") continue;  // pairing already matched them
    const Path root;
    Path p = Child(root, it.key());
    auto li = live.find(it.key());
    if (li == live.end() || li->is_null()) {
      if (!IsEmpty(it.value())) Add(out, p, Op::kAdd, nullptr, &it.value());
      continue;
    }
    CompareValue(it.value(), *li, p, it.key(), out);
  }
}

void CompareOwnedRemovals(const Json& desired, const Json& live, const Json& live_raw, const std::string& manager,
                          std::vector<Change>* out) {
  const Json* entry = ManagerEntry(live_raw, manager, /*apply_only=*/true);
  if (!entry) return;
  WalkOwned(Field(*entry, "fieldsV1"), &desired, live, Path{}, out, nullptr);
}

std::vector<std::string> OwnedPointers(const Json& live_raw, const std::string& manager) {
  std::vector<std::string> owned;
  const Json& mf = Field(Field(live_raw, "metadata"), "managedFields");
  if (!mf.is_array()) return owned;
  for (const Json& e : mf)
    if (StringField(e, "manager") == manager)
      WalkOwned(Field(e, "fieldsV1"), nullptr, live_raw, Path{}, nullptr, &owned);
  return owned;
}

std::vector<std::string> EntryPointers(const Json& entry, const Json& live_raw) {
  std::vector<std::string> owned;
  WalkOwned(Field(entry, "fieldsV1"), nullptr, live_raw, Path{}, nullptr, &owned);
  return owned;
}

}  // namespace warren::diff
