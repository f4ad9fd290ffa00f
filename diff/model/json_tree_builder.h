// Builds warren's Json from nlohmann's SAX events: the same lexer and grammar as Json::parse
// (so the same JSON is refused, with the same messages), with a nesting limit, and objects
// filled by appending and sorted once when they close instead of by a sorted insert per key.
// nlohmann's DOM parser with a callback, used before, spent as much time in the callback and
// the inserts as in the lexer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "diff/model/object.h"

namespace warren {

// Sorts an object's members, appended in document order, by key; of a key given twice the last
// stays, as in Json::parse.
void FinishObject(Json::object_t& members);

// For a reader that recurses (fast_json, fast_yaml): the members and items of the collections
// being read, outermost first, on one stack for every level. Each collection is made at its
// exact size once it ends: one allocation, where growing it entry by entry took several and left
// it up to twice its size.
struct Gathered {
  std::vector<std::pair<std::string, Json>> members;
  std::vector<Json> items;

  Json TakeMembers(size_t first);  // an object of the members since `first`, in their order
  Json TakeItems(size_t first);    // an array of the items since `first`
};

class JsonTreeBuilder {
 public:
  explicit JsonTreeBuilder(int max_depth) : max_depth_(max_depth) {}

  Json Take() { return std::move(root_); }
  bool too_deep() const { return too_deep_; }
  size_t error_byte() const { return error_byte_; }
  const std::string& error() const { return error_; }

  // nlohmann's SAX interface (json_sax<Json>).
  bool null() { return Value(Json(nullptr)); }
  bool boolean(bool v) { return Value(Json(v)); }
  bool number_integer(int64_t v) { return Value(Json(v)); }
  bool number_unsigned(uint64_t v) { return Value(Json(v)); }
  bool number_float(double v, const std::string&) { return Value(Json(v)); }
  bool string(std::string& v) { return Value(Json(std::move(v))); }
  bool binary(Json::binary_t& v) { return Value(Json::binary(std::move(v))); }
  bool start_object(std::size_t);
  bool key(std::string& k);
  bool end_object();
  bool start_array(std::size_t);
  bool end_array();
  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& ex);

 private:
  bool Value(Json&& v);
  bool Open(Json&& container);  // an object or array, which the values that follow go into
  Json* Add(Json&& v);          // placed, or null (and too deep) past the nesting limit
  Json* Place(Json&& v);        // where the next value goes: the root, an array's end, the last key's slot

  Json root_;
  std::vector<Json*> stack_;  // open containers, innermost last
  int max_depth_;
  bool too_deep_ = false;
  size_t error_byte_ = 0;
  std::string error_;
};

}  // namespace warren
