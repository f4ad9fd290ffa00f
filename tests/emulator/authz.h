// RBAC as the API server enforces it, from the Roles, ClusterRoles and bindings stored in the
// emulator: a binding whose role does not exist grants nothing (the seed's peer-discovery 403).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tests/emulator/schema.h"

namespace emulator {

struct UserInfo {
  std::string name;                 // "admin", "system:serviceaccount:dev:warren"
  std::vector<std::string> groups;  // "system:masters", "system:authenticated", ...
};

struct Attributes {
  std::string verb, group, resource, subresource, ns, name;
};

// Looks up stored objects: kind ("Role", "RoleBinding", ...) and namespace ("" for all/cluster).
using ListFn = std::function<std::vector<Json>(const std::string& kind, const std::string& ns)>;

struct Decision {
  bool allowed = false;
  // "RBAC: allowed by RoleBinding "rb/ns" of Role "r" to ServiceAccount "sa/ns"", or for a denial
  // the RBAC errors met on the way ("RBAC: role.rbac.authorization.k8s.io "dev" not found"), or "".
  std::string reason;
};

Decision Authorize(const UserInfo& user, const Attributes& a, const ListFn& list);

// `statefulsets.apps "x" is forbidden: User "u" cannot get resource "statefulsets" in API group
// "apps" in the namespace "dev"`.
// `reason`: the denial's reason (RBAC errors), appended as the API server does.
std::string ForbiddenMessage(const UserInfo& user, const Attributes& a, const std::string& qualified_resource,
                             const std::string& reason);

// A service account's user name and groups: system:serviceaccount:<ns>:<name>.
UserInfo ServiceAccountUser(const std::string& ns, const std::string& name);

}  // namespace emulator
