// missing-role, missing-serviceaccount and peer-discovery-rbac: the RBAC mistakes that make peer
// discovery fail with 403 (the seed's RoleBinding named Role "dev", which never existed).
#include <algorithm>

#include "diff/check/rabbit_config.h"
#include "diff/check/rules.h"

namespace warren::check {
namespace {

constexpr const char* kRbacGroup = "rbac.authorization.k8s.io";

// ClusterRoles every cluster has; a binding to them is not a dangling reference.
bool IsBuiltinClusterRole(const std::string& name) {
  return name == "cluster-admin" || name == "admin" || name == "edit" || name == "view" ||
         name.rfind("system:", 0) == 0;
}

bool Contains(const Json& list, const std::string& value) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(), [&](const Json& v) {
    return v.is_string() && (v.get<std::string>() == value || v.get<std::string>() == "*");
  });
}

// True when `rules` allow `verb` on core `resource` named `name`.
bool Grants(const Json& rules, const std::string& resource, const std::string& verb, const std::string& name) {
  if (!rules.is_array()) return false;
  for (const Json& r : rules) {
    if (!r.is_object()) continue;
    if (!Contains(r.value("apiGroups", Json::array()), "") ||
        !Contains(r.value("resources", Json::array()), resource) || !Contains(r.value("verbs", Json::array()), verb))
      continue;
    Json names = r.value("resourceNames", Json::array());
    if (names.empty() || Contains(names, name)) return true;
  }
  return false;
}

// The role a binding points at, if it is in the set.
const Object* ResolveRole(const ManifestIndex& index, const Object& binding) {
  const Json& ref = binding.doc().value("roleRef", Json::object());
  const std::string& kind = StringField(ref, "kind");
  const std::string& name = StringField(ref, "name");
  if (kind == "Role") return index.Find(kRbacGroup, "Role", binding.ns(), name);
  if (kind == "ClusterRole") return index.Find(kRbacGroup, "ClusterRole", "", name);
  return nullptr;
}

bool BindsServiceAccount(const Object& binding, const std::string& ns, const std::string& sa) {
  for (const Json& s : binding.doc().value("subjects", Json::array())) {
    const std::string& kind = StringField(s, "kind");
    const std::string& name = StringField(s, "name");
    std::string subject_ns = StringField(s, "namespace");
    if (subject_ns.empty()) subject_ns = binding.ns();
    if (kind == "ServiceAccount" && name == sa && subject_ns == ns) return true;
    if (kind == "Group" && (name == "system:serviceaccounts" || name == "system:serviceaccounts:" + ns)) return true;
  }
  return false;
}

std::string ServiceAccountOf(const PodTemplate& pod) {
  std::string sa = StringField(*pod.spec, "serviceAccountName");
  if (sa.empty()) sa = StringField(*pod.spec, "serviceAccount");
  return sa.empty() ? "default" : sa;
}

// A Role in `ns` that grants get on endpoints, to suggest as the fix.
const Object* RoleGrantingEndpoints(const ManifestIndex& index, const std::string& ns) {
  for (const Object* role : index.OfKind(kRbacGroup, "Role"))
    if (role->ns() == ns && Grants(role->doc().value("rules", Json::array()), "endpoints", "get", "")) return role;
  return nullptr;
}

}  // namespace

void CheckRoleRefs(const ManifestIndex& index, Findings* out) {
  for (const char* binding_kind : {"RoleBinding", "ClusterRoleBinding"}) {
    for (const Object* b : index.OfKind(kRbacGroup, binding_kind)) {
      const Json& ref = b->doc().value("roleRef", Json::object());
      const std::string& kind = StringField(ref, "kind");
      const std::string& name = StringField(ref, "name");
      if (kind.empty() || name.empty()) {
        out->push_back(MakeFinding("missing-role", Severity::kError, *b, "/roleRef",
                                   b->key().ToString() + " has no roleRef kind and name",
                                   "set roleRef.kind and roleRef.name"));
        continue;
      }
      if (ResolveRole(index, *b) || (kind == "ClusterRole" && IsBuiltinClusterRole(name))) continue;
      std::string where = kind == "Role" ? kind + " " + b->ns() + "/" + name : kind + " " + name;
      std::string fix = "create " + where + " or point roleRef.name at an existing " + kind;
      if (kind == "Role") {
        auto roles = index.OfKind(kRbacGroup, "Role");
        std::erase_if(roles, [&](const Object* r) { return r->ns() != b->ns(); });
        if (roles.size() == 1)
          fix = "set roleRef.name to \"" + roles[0]->name() + "\" (the Role defined in " + b->ns() + ")";
      }
      out->push_back(MakeFinding(
          "missing-role", Severity::kError, *b, "/roleRef/name",
          b->key().ToString() + " refers to " + where + ", which is not in the set: the binding grants nothing", fix));
    }
  }
}

void CheckServiceAccounts(const ManifestIndex& index, Findings* out) {
  for (const PodTemplate& pod : index.pod_templates()) {
    std::string sa = ServiceAccountOf(pod);
    if (sa == "default" || index.Find("", "ServiceAccount", pod.owner->ns(), sa)) continue;
    out->push_back(MakeFinding(
        "missing-serviceaccount", Severity::kError, *pod.owner, pod.pointer + "/serviceAccountName",
        "ServiceAccount " + pod.owner->ns() + "/" + sa + " is not in the set: the controller cannot create the pods",
        "add a ServiceAccount named \"" + sa + "\" in namespace " + pod.owner->ns()));
  }
}

void CheckPeerDiscoveryRbac(const ManifestIndex& index, Findings* out) {
  for (const PodTemplate& pod : index.pod_templates()) {
    RabbitConfig config = ReadRabbitConfig(index, pod);
    std::string evidence = K8sPeerDiscoveryEvidence(pod, config);
    if (evidence.empty()) continue;
    const std::string ns = pod.owner->ns();
    const std::string sa = ServiceAccountOf(pod);
    std::string service = StringField(pod.owner->doc().value("spec", Json::object()), "serviceName");

    bool granted = false;
    std::string broken;  // why the bindings that exist do not help
    for (const char* binding_kind : {"RoleBinding", "ClusterRoleBinding"}) {
      for (const Object* b : index.OfKind(kRbacGroup, binding_kind)) {
        if (b->kind() == "RoleBinding" && b->ns() != ns) continue;
        if (!BindsServiceAccount(*b, ns, sa)) continue;
        const Json& ref = b->doc().value("roleRef", Json::object());
        const Object* role = ResolveRole(index, *b);
        if (!role && StringField(ref, "kind") == "ClusterRole" && IsBuiltinClusterRole(StringField(ref, "name")) &&
            StringField(ref, "name").rfind("system:", 0) != 0) {
          granted = true;  // admin, edit and view all include get on endpoints
        } else if (!role) {
          broken = b->key().ToString() + " refers to " + StringField(ref, "kind") + " \"" + StringField(ref, "name") +
                   "\", which does not exist";
        } else if (Grants(role->doc().value("rules", Json::array()), "endpoints", "get", service)) {
          granted = true;
        } else {
          broken = role->key().ToString() + " does not allow get on endpoints";
        }
      }
    }
    if (granted) continue;
    std::string message = "pods use Kubernetes peer discovery (" + evidence + ") but ServiceAccount " + ns + "/" + sa +
                          " is not granted get on endpoints: " + (broken.empty() ? "no RoleBinding binds it" : broken) +
                          ", so discovery gets 403 and nodes do not cluster";
    std::string fix;
    if (const Object* role = RoleGrantingEndpoints(index, ns))
      fix = "bind ServiceAccount " + sa + " to Role \"" + role->name() + "\" (roleRef.name: " + role->name() + ")";
    else
      fix = "add a Role in " + ns + " allowing get on endpoints and a RoleBinding of it to ServiceAccount " + sa;
    out->push_back(MakeFinding("peer-discovery-rbac", Severity::kError, *pod.owner, pod.pointer + "/serviceAccountName",
                               message, fix));
  }
}

}  // namespace warren::check
