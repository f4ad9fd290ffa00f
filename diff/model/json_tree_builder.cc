#include "diff/model/json_tree_builder.h"

#include <algorithm>

namespace warren {

Json Gathered::TakeMembers(size_t first) {
  Json out = Json::object();
  auto& m = out.get_ref<Json::object_t&>();
  m.reserve(members.size() - first);
  for (size_t i = first; i < members.size(); ++i) m.push_back(std::move(members[i]));
  members.resize(first);
  return out;
}

Json Gathered::TakeItems(size_t first) {
  Json out = Json::array();
  auto& a = out.get_ref<Json::array_t&>();
  a.reserve(items.size() - first);
  for (size_t i = first; i < items.size(); ++i) a.push_back(std::move(items[i]));
  items.resize(first);
  return out;
}

Json* JsonTreeBuilder::Place(Json&& v) {
  if (stack_.empty()) {
    root_ = std::move(v);
    return &root_;
  }
  Json& parent = *stack_.back();
  if (parent.is_array()) {
    auto& items = parent.get_ref<Json::array_t&>();
    items.push_back(std::move(v));
    return &items.back();
  }
  // An object: key() appended the slot; its members do not move until the next key, by which
  // time this value is complete.
  Json& slot = parent.get_ref<Json::object_t&>().back().second;
  slot = std::move(v);
  return &slot;
}

Json* JsonTreeBuilder::Add(Json&& v) {
  if (static_cast<int>(stack_.size()) > max_depth_) {
    too_deep_ = true;
    return nullptr;
  }
  return Place(std::move(v));
}

bool JsonTreeBuilder::Value(Json&& v) { return Add(std::move(v)) != nullptr; }

bool JsonTreeBuilder::Open(Json&& container) {
  Json* placed = Add(std::move(container));
  if (placed) stack_.push_back(placed);
  return placed != nullptr;
}

bool JsonTreeBuilder::start_object(std::size_t) { return Open(Json::object()); }

bool JsonTreeBuilder::key(std::string& k) {
  stack_.back()->get_ref<Json::object_t&>().emplace_back(std::move(k), Json());
  return true;
}

void FinishObject(Json::object_t& members) {
  auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (std::is_sorted(members.begin(), members.end(), by_key)) {
    auto same = [](const auto& a, const auto& b) { return a.first == b.first; };
    if (std::adjacent_find(members.begin(), members.end(), same) == members.end()) return;
  } else {
    std::stable_sort(members.begin(), members.end(), by_key);
  }
  // A key given twice: the last one wins.
  auto out = members.begin();
  for (auto it = members.begin(); it != members.end(); ++it) {
    auto next = std::next(it);
    if (next != members.end() && next->first == it->first) continue;
    if (out != it) *out = std::move(*it);
    ++out;
  }
  members.erase(out, members.end());
}

bool JsonTreeBuilder::end_object() {
  FinishObject(stack_.back()->get_ref<Json::object_t&>());
  stack_.pop_back();
  return true;
}

bool JsonTreeBuilder::start_array(std::size_t) { return Open(Json::array()); }

bool JsonTreeBuilder::end_array() {
  stack_.pop_back();
  return true;
}

bool JsonTreeBuilder::parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
  error_byte_ = position;
  error_ = ex.what();
  return false;
}

}  // namespace warren
