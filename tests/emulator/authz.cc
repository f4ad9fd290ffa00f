#include "tests/emulator/authz.h"

#include <algorithm>

namespace emulator {
namespace {

bool Has(const Json& list, const std::string& value) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(), [&](const Json& v) { return v == "*" || v == value; });
}

bool RuleAllows(const Json& rule, const Attributes& a) {
  if (!Has(rule.value("verbs", Json()), a.verb)) return false;
  if (!Has(rule.value("apiGroups", Json()), a.group)) return false;
  std::string res = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  const Json resources = rule.value("resources", Json());
  if (!Has(resources, res) && !(a.subresource.empty() ? false : Has(resources, a.resource + "/*"))) return false;
  const Json names = rule.value("resourceNames", Json::array());
  return !names.is_array() || names.empty() || Has(names, a.name);
}

bool SubjectMatches(const Json& s, const UserInfo& u) {
  const std::string kind = s.value("kind", ""), name = s.value("name", "");
  if (kind == "User") return name == u.name;
  if (kind == "Group") return std::find(u.groups.begin(), u.groups.end(), name) != u.groups.end();
  if (kind == "ServiceAccount") return u.name == "system:serviceaccount:" + s.value("namespace", "") + ":" + name;
  return false;
}

std::string SubjectText(const Json& s) {
  std::string kind = s.value("kind", ""), name = s.value("name", "");
  if (kind == "ServiceAccount") return "ServiceAccount \"" + name + "/" + s.value("namespace", "") + "\"";
  return kind + " \"" + name + "\"";
}

}  // namespace

UserInfo ServiceAccountUser(const std::string& ns, const std::string& name) {
  return {"system:serviceaccount:" + ns + ":" + name,
          {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}};
}

Decision Authorize(const UserInfo& user, const Attributes& a, const ListFn& list) {
  if (std::find(user.groups.begin(), user.groups.end(), "system:masters") != user.groups.end())
    return {true, "member of system:masters"};
  // Every authenticated user may ask what it may do (system:basic-user).
  if (a.group == "authorization.k8s.io" && a.resource == "selfsubjectaccessreviews" && a.verb == "create")
    return {true, "RBAC: allowed by ClusterRoleBinding \"system:basic-user\""};

  // Bindings of this user whose role does not exist: the RBAC authorizer's errors, which become
  // the reason of a denial (the hint the seed article's readers needed for their 403).
  std::vector<std::string> errors;
  auto check = [&](const Json& binding, const std::string& binding_ns) -> Decision {
    const Json subjects = binding.value("subjects", Json::array());
    auto subject =
        std::find_if(subjects.begin(), subjects.end(), [&](const Json& s) { return SubjectMatches(s, user); });
    if (subject == subjects.end()) return {};
    const Json ref = binding.value("roleRef", Json::object());
    const std::string role_kind = ref.value("kind", ""), role_name = ref.value("name", "");
    bool found = false;
    for (const Json& role : list(role_kind, role_kind == "Role" ? binding_ns : "")) {
      if (role["metadata"].value("name", "") != role_name) continue;
      found = true;
      for (const Json& rule : role.value("rules", Json::array()))
        if (RuleAllows(rule, a)) {
          std::string bname = binding["metadata"].value("name", "");
          std::string where = binding_ns.empty() ? "ClusterRoleBinding \"" + bname + "\""
                                                 : "RoleBinding \"" + bname + "/" + binding_ns + "\"";
          return {true, "RBAC: allowed by " + where + " of " + role_kind + " \"" + role_name + "\" to " +
                            SubjectText(*subject)};
        }
    }
    if (!found) {
      std::string lower = role_kind == "Role" ? "role" : "clusterrole";
      errors.push_back(lower + ".rbac.authorization.k8s.io \"" + role_name + "\" not found");
    }
    return {};  // the role is missing or does not cover the request: nothing granted
  };
  for (const Json& b : list("ClusterRoleBinding", "")) {
    Decision d = check(b, "");
    if (d.allowed) return d;
  }
  if (!a.ns.empty())
    for (const Json& b : list("RoleBinding", a.ns)) {
      Decision d = check(b, a.ns);
      if (d.allowed) return d;
    }
  if (errors.empty()) return {false, ""};
  std::string joined;
  for (const std::string& e : errors) joined += (joined.empty() ? "" : ", ") + e;
  return {false, "RBAC: " + (errors.size() == 1 ? joined : "[" + joined + "]")};
}

std::string ForbiddenMessage(const UserInfo& user, const Attributes& a, const std::string& qualified_resource,
                             const std::string& reason) {
  std::string subject = qualified_resource + (a.name.empty() ? "" : " \"" + a.name + "\"");
  std::string res = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  std::string scope = a.ns.empty() ? "at the cluster scope" : "in the namespace \"" + a.ns + "\"";
  return subject + " is forbidden: User \"" + user.name + "\" cannot " + a.verb + " resource \"" + res +
         "\" in API group \"" + a.group + "\" " + scope + (reason.empty() ? "" : ": " + reason);
}

}  // namespace emulator
