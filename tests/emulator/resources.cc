#include "tests/emulator/resources.h"

#include <set>

#include "tests/emulator/openapi_types.h"

namespace emulator {
namespace {

std::vector<Resource> Build() {
  std::vector<Resource> r;
  auto add = [&](std::string g, std::string v, std::string name, std::string singular, std::string kind, bool ns,
                 std::vector<std::string> shorts = {}, std::vector<std::string> subs = {}) -> Resource& {
    r.push_back({g, v, name, singular, kind, ns, shorts, subs});
    return r.back();
  };
  add("", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, {"status"});
  add("", "v1", "services", "service", "Service", true, {"svc"}, {"status"}).returns_deleted_object = true;
  add("", "v1", "secrets", "secret", "Secret", true);
  add("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}).returns_deleted_object = true;
  add("", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"});
  add("", "v1", "endpoints", "endpoints", "Endpoints", true, {"ep"});
  add("", "v1", "pods", "pod", "Pod", true, {"po"}, {"status"}).returns_deleted_object = true;
  add("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, {"pvc"}, {"status"})
      .returns_deleted_object = true;
  add("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, {"sts"}, {"status", "scale"}).has_generation =
      true;
  add("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true);
  add("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true);
  add("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false);
  add("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false);
  add("coordination.k8s.io", "v1", "leases", "lease", "Lease", true);
  add("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition",
      false, {"crd", "crds"}, {"status"})
      .has_generation = true;
  add("", "v1", "events", "event", "Event", true, {"ev"});
  // Stored as written (no rollout): enough for `kubectl apply -k deploy/` of warren itself.
  add("apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}, {"status", "scale"}).has_generation =
      true;
  add("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview",
      false)
      .create_only = true;
  // The RabbitMQ messaging-topology operator's CRDs, stored as plain objects.
  for (const char* k : {"Vhost", "Exchange", "Queue", "Binding", "Policy"}) {
    std::string kind = k, lower;
    for (char c : kind) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string plural = lower == "policy" ? "policies" : lower + "s";
    add("rabbitmq.com", "v1beta1", plural, lower, kind, true, {}, {"status"}).has_generation = true;
  }
  return r;
}

Json ResourceEntry(const Resource& r) {
  Json verbs = r.create_only
                   ? Json::array({"create"})
                   : Json::array({"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"});
  Json e = {
      {"name", r.name}, {"singularName", r.singular}, {"namespaced", r.namespaced}, {"kind", r.kind}, {"verbs", verbs}};
  if (!r.short_names.empty()) e["shortNames"] = r.short_names;
  if (r.kind == "StatefulSet" || r.kind == "Pod" || r.kind == "Service") e["categories"] = {"all"};
  if (!r.categories.empty()) e["categories"] = r.categories;
  return e;
}

// A custom resource's schema as the API server publishes it: the CRD's, with apiVersion, kind and
// the standard ObjectMeta filled in.
Json CustomSchema(const Resource& r, Json* schemas) {
  Json s = r.schema.is_object() ? r.schema : Json{{"type", "object"}};
  s["properties"]["apiVersion"] = {{"type", "string"}, {"description", "The API version of this object."}};
  s["properties"]["kind"] = {{"type", "string"}, {"description", "The kind of this object."}};
  const std::string meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
  AddSchemaClosure(meta, schemas);
  s["properties"]["metadata"] = {{"allOf", {{{"$ref", "#/components/schemas/" + meta}}}},
                                 {"description", "Standard object metadata."}};
  return s;
}

std::string OpenApiPath(const Resource& r, bool named) {
  std::string base = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced) base += "/namespaces/{namespace}";
  base += "/" + r.name;
  return named ? base + "/{name}" : base;
}

}  // namespace

const std::vector<Resource>& AllResources() {
  static const std::vector<Resource> all = Build();
  return all;
}

const Resource* FindResource(const std::string& group, const std::string& version, const std::string& plural) {
  for (const Resource& r : AllResources())
    if (r.group == group && r.version == version && r.name == plural) return &r;
  return nullptr;
}

const Resource* FindKind(const std::string& group, const std::string& kind) {
  for (const Resource& r : AllResources())
    if (r.group == group && r.kind == kind) return &r;
  return nullptr;
}

Json VersionDocument() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", "v1.32.4"},
          {"gitCommit", "warren-emulator"},
          {"gitTreeState", "clean"},
          {"buildDate", "2026-01-01T00:00:00Z"},
          {"goVersion", "go1.23.6"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

Json CoreVersions() {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", "127.0.0.1:6443"}}}}};
}

Json GroupList(const ResourceSet& all) {
  Json groups = Json::array();
  std::set<std::string> seen;
  for (const Resource* each : all) {
    const Resource& r = *each;
    if (r.group.empty() || !seen.insert(r.group).second) continue;
    Json gv = {{"groupVersion", r.GroupVersion()}, {"version", r.version}};
    groups.push_back({{"name", r.group}, {"versions", {gv}}, {"preferredVersion", gv}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

Json ResourceList(const ResourceSet& all, const std::string& group_version) {
  Json resources = Json::array();
  for (const Resource* each : all) {
    const Resource& r = *each;
    if (r.GroupVersion() != group_version) continue;
    resources.push_back(ResourceEntry(r));
    for (const std::string& sub : r.subresources) {
      Json e = {{"name", r.name + "/" + sub},
                {"singularName", ""},
                {"namespaced", r.namespaced},
                {"kind", r.kind},
                {"verbs", {"get", "patch", "update"}}};
      if (sub == "scale") {
        e["group"] = "autoscaling";
        e["version"] = "v1";
        e["kind"] = "Scale";
      }
      resources.push_back(e);
    }
  }
  if (resources.empty()) return nullptr;
  Json out = {{"kind", "APIResourceList"}, {"groupVersion", group_version}, {"resources", resources}};
  if (group_version != "v1") out["apiVersion"] = "v1";  // the core list has none
  return out;
}

Json OpenApiIndex(const ResourceSet& all) {
  Json paths = Json::object();
  std::set<std::string> seen;
  for (const Resource* each : all) {
    const Resource& r = *each;
    std::string key = r.group.empty() ? "api/" + r.version : "apis/" + r.group + "/" + r.version;
    if (seen.insert(key).second)
      paths[key] = {{"serverRelativeURL",
                     "/openapi/v3/" + key + "?hash=" + std::to_string(std::hash<std::string>{}(key) % 100000000)}};
  }
  return {{"paths", paths}};
}

Json OpenApiDocument(const ResourceSet& all, const std::string& group_version) {
  Json paths = Json::object(), schemas = Json::object();
  for (const Resource* each : all) {
    const Resource& r = *each;
    if (r.GroupVersion() != group_version) continue;
    Json gvk = {{"group", r.group}, {"version", r.version}, {"kind", r.kind}};
    Json params = Json::array({{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                               {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                               {{"name", "dryRun"}, {"in", "query"}, {"schema", {{"type", "string"}}}}});
    std::string typed = TypedSchemaId(r.group, r.version, r.kind);
    std::string schema = !typed.empty() ? typed
                                        : "com.warren.emulator." + (r.group.empty() ? std::string("core") : r.group) +
                                              "." + r.version + "." + r.kind;
    Json ok = {{"200",
                {{"description", "OK"},
                 {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/" + schema}}}}}}}}}};
    if (r.create_only) {
      paths[OpenApiPath(r, false)] = {
          {"post", {{"x-kubernetes-group-version-kind", gvk}, {"parameters", params}, {"responses", ok}}}};
    } else {
      paths[OpenApiPath(r, true)] = {
          {"get", {{"x-kubernetes-group-version-kind", gvk}, {"responses", ok}}},
          {"put", {{"x-kubernetes-group-version-kind", gvk}, {"parameters", params}, {"responses", ok}}},
          {"patch", {{"x-kubernetes-group-version-kind", gvk}, {"parameters", params}, {"responses", ok}}},
          {"delete", {{"x-kubernetes-group-version-kind", gvk}, {"responses", ok}}}};
      paths[OpenApiPath(r, false)] = {
          {"get", {{"x-kubernetes-group-version-kind", gvk}, {"responses", ok}}},
          {"post", {{"x-kubernetes-group-version-kind", gvk}, {"parameters", params}, {"responses", ok}}}};
    }
    // Kinds described in openapi_types carry their shape (for kubectl explain); the others are
    // free-form. Validation is the emulator's own code either way.
    if (!typed.empty())
      AddSchemaClosure(typed, &schemas);
    else if (!r.crd.empty())
      schemas[schema] = CustomSchema(r, &schemas);
    else
      schemas[schema] = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    schemas[schema]["x-kubernetes-group-version-kind"] = Json::array({gvk});
  }
  if (paths.empty()) return nullptr;
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.4"}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

}  // namespace emulator
