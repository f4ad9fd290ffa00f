#include "tests/emulator/selectors.h"

#include "tests/emulator/call.h"

namespace emulator {

bool MatchesLabels(const Json& labels, const std::string& selector) {
  std::vector<std::string> terms;
  int depth = 0;
  std::string cur;
  for (char ch : selector) {
    depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
    if (ch == ',' && depth == 0) {
      terms.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  terms.push_back(cur);
  auto get = [&](const std::string& k) -> const Json* {
    if (!labels.is_object()) return nullptr;
    auto it = labels.find(k);
    return it == labels.end() ? nullptr : &*it;
  };
  for (std::string t : terms) {
    t = Trim(t);
    if (t.empty()) continue;
    size_t in = t.find(" in "), notin = t.find(" notin ");
    if (in != std::string::npos || notin != std::string::npos) {
      bool negate = notin != std::string::npos;
      std::string key = Trim(t.substr(0, negate ? notin : in));
      std::string set = t.substr(t.find('(') + 1);
      set = set.substr(0, set.find(')'));
      bool found = false;
      for (const std::string& v : Split(set, ','))
        if (const Json* l = get(key); l && *l == Trim(v)) found = true;
      if (found == negate) return false;
    } else if (size_t ne = t.find("!="); ne != std::string::npos) {
      const Json* l = get(Trim(t.substr(0, ne)));
      if (l && *l == Trim(t.substr(ne + 2))) return false;
    } else if (size_t eq = t.find('='); eq != std::string::npos) {
      std::string value = Trim(t.substr(eq + 1 < t.size() && t[eq + 1] == '=' ? eq + 2 : eq + 1));
      const Json* l = get(Trim(t.substr(0, eq)));
      if (!l || *l != value) return false;
    } else if (t[0] == '!') {
      if (get(Trim(t.substr(1)))) return false;
    } else if (!get(t)) {
      return false;
    }
  }
  return true;
}

bool MatchesFields(const Json& obj, const std::string& selector) {
  for (const std::string& term : Split(selector, ',')) {
    size_t eq = term.find('=');
    if (term.empty() || eq == std::string::npos) continue;
    bool negate = eq > 0 && term[eq - 1] == '!';
    std::string key = term.substr(0, negate ? eq - 1 : eq);
    std::string value = term.substr(eq + 1 < term.size() && term[eq + 1] == '=' ? eq + 2 : eq + 1);
    const Json& meta = obj["metadata"];
    std::string actual = key == "metadata.name"        ? meta.value("name", "")
                         : key == "metadata.namespace" ? meta.value("namespace", "")
                                                       : "";
    if ((actual == value) == negate) return false;
  }
  return true;
}

bool Selected(const Json& obj, const std::string& labels, const std::string& fields) {
  return MatchesLabels(obj["metadata"].value("labels", Json::object()), labels) && MatchesFields(obj, fields);
}

}  // namespace emulator
