#include "diff/check/lint.h"

#include <algorithm>
#include <tuple>

#include "diff/check/manifest_index.h"
#include "diff/check/rules.h"

namespace warren::check {

const std::vector<RuleInfo>& Rules() {
  static const std::vector<RuleInfo> kRules = {
      {"removed-api-version", Severity::kError, "apiVersion no longer served by current Kubernetes"},
      {"missing-role", Severity::kError, "RoleBinding roleRef names a Role/ClusterRole not in the set"},
      {"missing-serviceaccount", Severity::kError, "pods use a ServiceAccount not in the set"},
      {"peer-discovery-rbac", Severity::kError, "peer discovery without get on endpoints for the pods' ServiceAccount"},
      {"missing-secret", Severity::kError, "a Secret referenced by pods is not in the set"},
      {"missing-secret-key", Severity::kError, "a Secret key referenced by pods does not exist"},
      {"missing-configmap", Severity::kError, "a ConfigMap referenced by pods is not in the set"},
      {"missing-configmap-key", Severity::kError, "a ConfigMap key referenced by pods does not exist"},
      {"statefulset-selector", Severity::kError, "StatefulSet selector missing or not matching its template"},
      {"statefulset-service", Severity::kError, "StatefulSet serviceName not a headless Service selecting its pods"},
      {"node-name", Severity::kError, "RabbitMQ node name, hostname suffix or long-name setting inconsistent with serviceName"},
      {"cluster-domain", Severity::kWarning, "peer discovery or node names tied to the DNS domain cluster.local (NXDOMAIN elsewhere)"},
      {"env-reference", Severity::kWarning, "$(VAR) reference to a variable not defined before it"},
      {"literal-credential", Severity::kError, "Erlang cookie or default password written as a literal"},
      {"rabbitmq-memory", Severity::kWarning, "memory limit without a RabbitMQ memory setting derived from it"},
      {"invalid-rabbitmq-object", Severity::kError, "rabbitmq.com document with a missing or invalid spec field"},
      {"classic-mirrored-queues", Severity::kWarning, "classic queue mirroring (ha-mode), removed in RabbitMQ 4.0"},
      {"management-exposed", Severity::kWarning, "management port 15672 exposed via NodePort/LoadBalancer"},
      {"non-string-value", Severity::kError, "boolean or number where Kubernetes expects a string"},
  };
  return kRules;
}

Findings Lint(const std::vector<Object>& objects) {
  ManifestIndex index(objects);
  Findings out;
  CheckRemovedApiVersions(index, &out);
  CheckRoleRefs(index, &out);
  CheckServiceAccounts(index, &out);
  CheckPeerDiscoveryRbac(index, &out);
  CheckSecretAndConfigMapRefs(index, &out);
  CheckStatefulSets(index, &out);
  CheckNodeNaming(index, &out);
  CheckClusterDomain(index, &out);
  CheckLiteralCredentials(index, &out);
  CheckMemorySettings(index, &out);
  CheckRabbitTopology(index, &out);
  CheckManagementExposure(index, &out);
  CheckStringValues(index, &out);
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.where.file, a.where.line, a.where.column, a.rule) <
           std::tie(b.where.file, b.where.line, b.where.column, b.rule);
  });
  return out;
}

bool HasErrors(const Findings& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kError; });
}

std::string RenderText(const Findings& findings) {
  std::string out;
  size_t errors = 0;
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) ++errors;
    out += f.where.ToString() + ": " + SeverityName(f.severity) + " [" + f.rule + "] " +
           f.object.ToString() + ": " + f.message + "\n    fix: " + f.fix + "\n";
  }
  out += std::to_string(errors) + " error(s), " + std::to_string(findings.size() - errors) +
         " warning(s)\n";
  return out;
}

Json ToJson(const Findings& findings) {
  Json list = Json::array();
  for (const Finding& f : findings) {
    list.push_back({{"rule", f.rule},
                    {"severity", SeverityName(f.severity)},
                    {"object",
                     {{"apiVersion", f.api_version},
                      {"kind", f.object.kind},
                      {"namespace", f.object.ns},
                      {"name", f.object.name}}},
                    {"file", f.where.file},
                    {"line", f.where.line},
                    {"message", f.message},
                    {"fix", f.fix}});
  }
  return list;
}

}  // namespace warren::check
