#include "tests/emulator/json_path.h"

namespace emulator {
namespace {

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

}  // namespace

std::optional<std::vector<PathStep>> ParseJsonPath(const std::string& path, std::string* error) {
  std::vector<PathStep> steps;
  size_t i = 0;
  auto fail = [&](const std::string& why) -> std::optional<std::vector<PathStep>> {
    *error = why + " at " + std::to_string(i) + " in " + path;
    return std::nullopt;
  };
  if (path.empty() || path[0] != '.') return fail("a path starts with '.'");
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t start = ++i;
      while (i < path.size() && IsNameChar(path[i])) ++i;
      if (i == start) return fail("a field name expected");
      steps.push_back({PathStep::kField, path.substr(start, i - start)});
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) return fail("unclosed [");
      std::string inner = path.substr(i + 1, close - i - 1);
      if (inner == "*") {
        steps.push_back({PathStep::kAll});
      } else if (!inner.empty() && inner.find_first_not_of("0123456789") == std::string::npos) {
        steps.push_back({PathStep::kIndex, "", std::stoul(inner)});
      } else if (inner.rfind("?(@.", 0) == 0 && inner.back() == ')') {
        std::string cond = inner.substr(4, inner.size() - 5);
        size_t eq = cond.find("==");
        if (eq == std::string::npos) return fail("a filter compares with ==");
        std::string literal = cond.substr(eq + 2);
        Json value;
        if (literal.size() >= 2 && (literal[0] == '"' || literal[0] == '\'') && literal.back() == literal[0])
          value = literal.substr(1, literal.size() - 2);
        else
          value = Json::parse(literal, nullptr, false);
        if (value.is_discarded()) return fail("an unreadable filter value");
        steps.push_back({PathStep::kFilter, cond.substr(0, eq), 0, value});
      } else {
        return fail("an unsupported [" + inner + "]");
      }
      i = close + 1;
    } else {
      return fail("unrecognized character");
    }
  }
  return steps;
}

std::vector<Json> EvaluateJsonPath(const std::vector<PathStep>& steps, const Json& object) {
  std::vector<Json> current = {object};
  for (const PathStep& s : steps) {
    std::vector<Json> next;
    for (const Json& v : current) {
      if (s.kind == PathStep::kField) {
        if (v.is_object() && v.contains(s.name)) next.push_back(v[s.name]);
      } else if (!v.is_array()) {
        continue;
      } else if (s.kind == PathStep::kIndex) {
        if (s.index < v.size()) next.push_back(v[s.index]);
      } else {
        for (const Json& item : v)
          if (s.kind == PathStep::kAll || (item.is_object() && item.contains(s.name) && item[s.name] == s.value))
            next.push_back(item);
      }
    }
    current = std::move(next);
  }
  return current;
}

}  // namespace emulator
