#include "tests/emulator/fields.h"

#include <algorithm>

namespace emulator {
namespace {

bool IsServerMetadata(const std::string& key) {
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                        "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"})
    if (key == k) return true;
  return false;
}

std::string Join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

// An item's key: every schema key, with its default when the item leaves it out.
Json ItemKey(const ListSchema& s, const Json& item) {
  Json key = Json::object();
  for (const std::string& k : s.keys) key[k] = KeyValue(item, k);
  return key;
}

// Its field-set element, "k:{...}".
std::string ItemElement(const ListSchema& s, const Json& item) { return "k:" + ItemKey(s, item).dump(); }

bool ItemMatches(const ListSchema& s, const Json& item, const Json& key) {
  for (const std::string& k : s.keys)
    if (KeyValue(item, k) != (key.contains(k) ? key[k] : KeyValue(Json::object(), k))) return false;
  return true;
}

void Walk(const std::string& kind, const Json& obj, const std::string& path, FieldSet* out) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& key = it.key();
    if (path.empty() && (key == "apiVersion" || key == "kind" || key == "status")) continue;
    if (path == "metadata" && IsServerMetadata(key)) continue;
    const Json& v = it.value();
    std::string child_path = Join(path, key);
    Json& node = (*out)["f:" + key];
    if (!node.is_object()) node = Json::object();
    if (IsAtomic(kind, child_path)) continue;
    if (v.is_object()) {
      Walk(kind, v, child_path, &node);
    } else if (v.is_array() && !v.empty()) {
      ListSchema s = ListFor(kind, key, v[0]);
      if (s.keys.empty()) continue;  // atomic list: one leaf
      for (const Json& item : v) {
        if (!item.is_object()) continue;
        Json& item_node = node[ItemElement(s, item)];
        item_node["."] = Json::object();
        Walk(kind, item, child_path, &item_node);
      }
    }
  }
}

void CollectLeaves(const Json& node, FieldPath& prefix, std::vector<FieldPath>* out) {
  if (node.empty()) {
    out->push_back(prefix);
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it.key() == ".") {
      FieldPath self = prefix;
      self.push_back(".");
      out->push_back(self);
      continue;
    }
    prefix.push_back(it.key());
    CollectLeaves(it.value(), prefix, out);
    prefix.pop_back();
  }
}

// The node at p, or nullptr; *atomic_ancestor is set when a leaf on the way covers p.
const Json* NodeAt(const FieldSet& fs, const FieldPath& p, bool* atomic_ancestor) {
  const Json* n = &fs;
  *atomic_ancestor = false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (n->is_object() && n->empty() && i > 0) {
      *atomic_ancestor = true;
      return n;
    }
    auto it = n->find(p[i]);
    if (it == n->end()) return nullptr;
    n = &*it;
  }
  return n;
}

// The field name of the list an element path points into: the last "f:" element before it.
std::string ListField(const FieldPath& p, size_t upto) {
  for (size_t i = upto; i-- > 0;)
    if (p[i].rfind("f:", 0) == 0) return p[i].substr(2);
  return "";
}

Json MergeImpl(const std::string& kind, const Json& live, const Json& config, const std::string& path) {
  if (!live.is_object() || !config.is_object() || IsAtomic(kind, path)) return config;
  Json out = live;
  for (auto it = config.begin(); it != config.end(); ++it) {
    const std::string child = Join(path, it.key());
    auto l = out.find(it.key());
    if (l == out.end()) {
      out[it.key()] = it.value();
    } else if (l->is_object() && it->is_object()) {
      *l = MergeImpl(kind, *l, *it, child);
    } else if (l->is_array() && it->is_array() && !it->empty() && !IsAtomic(kind, child)) {
      ListSchema s = ListFor(kind, it.key(), (*it)[0]);
      if (s.keys.empty()) {
        *l = *it;
        continue;
      }
      Json merged = *l;
      for (const Json& item : *it) {
        Json key = ItemKey(s, item);
        auto m = std::find_if(merged.begin(), merged.end(), [&](const Json& x) { return ItemMatches(s, x, key); });
        if (m == merged.end())
          merged.push_back(item);
        else
          *m = MergeImpl(kind, *m, item, child);
      }
      *l = std::move(merged);
    } else {
      *l = *it;
    }
  }
  return out;
}

Json StrategicImpl(const std::string& kind, const Json& target, const Json& patch, const std::string& path) {
  if (!patch.is_object()) return patch;
  if (patch.contains("$patch") && patch["$patch"] == "replace") {
    Json out = patch;
    out.erase("$patch");
    return out;
  }
  Json out = target.is_object() ? target : Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& key = it.key();
    if (key == "$patch" || key.rfind("$setElementOrder/", 0) == 0 || key == "$retainKeys") continue;
    if (key.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string field = key.substr(std::string("$deleteFromPrimitiveList/").size());
      if (out.contains(field) && out[field].is_array())
        for (const Json& v : *it)
          out[field].erase(std::remove(out[field].begin(), out[field].end(), v), out[field].end());
      continue;
    }
    const std::string child = Join(path, key);
    if (it->is_null()) {
      out.erase(key);
    } else if (it->is_object() && out.contains(key) && out[key].is_object()) {
      out[key] = StrategicImpl(kind, out[key], *it, child);
    } else if (it->is_array() && out.contains(key) && out[key].is_array() && !it->empty() && it->at(0).is_object()) {
      ListSchema s = ListFor(kind, key, (*it)[0]);
      if (s.keys.empty()) {
        out[key] = *it;
        continue;
      }
      Json merged = out[key];
      for (const Json& item : *it) {
        Json k = ItemKey(s, item);
        auto m = std::find_if(merged.begin(), merged.end(), [&](const Json& x) { return ItemMatches(s, x, k); });
        bool del = item.contains("$patch") && item["$patch"] == "delete";
        if (del) {
          if (m != merged.end()) merged.erase(m);
        } else if (m == merged.end()) {
          merged.push_back(item);
        } else {
          *m = StrategicImpl(kind, *m, item, child);
        }
      }
      out[key] = std::move(merged);
    } else {
      out[key] = *it;
    }
  }
  return out;
}

}  // namespace

FieldSet FieldSetOf(const std::string& kind, const Json& obj) {
  FieldSet out = Json::object();
  if (obj.is_object()) Walk(kind, obj, "", &out);
  // metadata with nothing but server fields leaves an empty f:metadata, which owns nothing.
  if (out.contains("f:metadata") && out["f:metadata"].empty()) out.erase("f:metadata");
  return out;
}

std::vector<FieldPath> Leaves(const FieldSet& fs) {
  std::vector<FieldPath> out;
  FieldPath prefix;
  if (!fs.empty()) CollectLeaves(fs, prefix, &out);
  return out;
}

bool Owns(const FieldSet& fs, const FieldPath& p) {
  bool atomic = false;
  const Json* n = NodeAt(fs, p, &atomic);
  return n && (atomic || n->empty() || p.back() == ".");
}

bool OwnsBelow(const FieldSet& fs, const FieldPath& p) {
  bool atomic = false;
  FieldPath parent = p;
  if (!parent.empty() && parent.back() == ".") parent.pop_back();
  const Json* n = NodeAt(fs, parent, &atomic);
  return n && !atomic && !n->empty();
}

void Disown(FieldSet* fs, const FieldPath& p) {
  std::vector<Json*> chain{fs};
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    auto it = chain.back()->find(p[i]);
    if (it == chain.back()->end() || !it->is_object()) return;
    chain.push_back(&*it);
  }
  chain.back()->erase(p.back());
  // A node left with nothing owned below it is gone too.
  for (size_t i = chain.size(); i-- > 1;) {
    if (!chain[i]->empty()) break;
    chain[i - 1]->erase(p[i - 1]);
  }
}

FieldSet Union(FieldSet a, const FieldSet& b) {
  if (a.is_object() && a.empty() && !b.empty()) return b;
  for (auto it = b.begin(); it != b.end(); ++it) {
    auto x = a.find(it.key());
    if (x == a.end())
      a[it.key()] = it.value();
    else if (!x->empty() && !it->empty())
      *x = Union(*x, *it);
    else
      *x = Json::object();  // one side owns it atomically
  }
  return a;
}

const Json* ValueAt(const std::string& kind, const Json& obj, const FieldPath& p) {
  const Json* v = &obj;
  for (size_t i = 0; i < p.size(); ++i) {
    const std::string& e = p[i];
    if (e == ".") return v;
    if (e.rfind("f:", 0) == 0) {
      if (!v->is_object()) return nullptr;
      auto it = v->find(e.substr(2));
      if (it == v->end()) return nullptr;
      v = &*it;
    } else if (e.rfind("k:", 0) == 0) {
      if (!v->is_array() || v->empty()) return nullptr;
      ListSchema s = ListFor(kind, ListField(p, i), (*v)[0]);
      Json key = Json::parse(e.substr(2), nullptr, false);
      auto it = std::find_if(v->begin(), v->end(), [&](const Json& x) { return ItemMatches(s, x, key); });
      if (it == v->end()) return nullptr;
      v = &*it;
    } else {
      return nullptr;
    }
  }
  return v;
}

void RemoveAt(const std::string& kind, Json* obj, const FieldPath& p) {
  FieldPath target = p;
  if (!target.empty() && target.back() == ".") target.pop_back();
  if (target.empty()) return;
  FieldPath parent(target.begin(), target.end() - 1);
  Json* container = const_cast<Json*>(ValueAt(kind, *obj, parent));
  if (!container) return;
  const std::string& e = target.back();
  if (e.rfind("f:", 0) == 0 && container->is_object()) {
    container->erase(e.substr(2));
  } else if (e.rfind("k:", 0) == 0 && container->is_array() && !container->empty()) {
    ListSchema s = ListFor(kind, ListField(target, target.size() - 1), (*container)[0]);
    Json key = Json::parse(e.substr(2), nullptr, false);
    for (size_t i = 0; i < container->size(); ++i)
      if (ItemMatches(s, (*container)[i], key)) {
        container->erase(i);
        break;
      }
  }
}

std::string PathString(const FieldPath& p) {
  std::string out;
  for (const std::string& e : p) {
    if (e == ".") continue;
    if (e.rfind("f:", 0) == 0) {
      out += "." + e.substr(2);
    } else if (e.rfind("k:", 0) == 0) {
      Json key = Json::parse(e.substr(2), nullptr, false);
      std::string inner;
      for (auto it = key.begin(); it != key.end(); ++it)
        inner += (inner.empty() ? "" : ",") + it.key() + "=" + it.value().dump();
      out += "[" + inner + "]";
    } else if (e.rfind("v:", 0) == 0) {
      out += "[=" + e.substr(2) + "]";
    } else if (e.rfind("i:", 0) == 0) {
      out += "[" + e.substr(2) + "]";
    }
  }
  return out;
}

Json MergeApplied(const std::string& kind, const Json& live, const Json& config) {
  return MergeImpl(kind, live, config, "");
}

Json StrategicMerge(const std::string& kind, const Json& target, const Json& patch) {
  return StrategicImpl(kind, target, patch, "");
}

}  // namespace emulator
