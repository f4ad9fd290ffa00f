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
      {"node-name", Severity::kError,
       "RabbitMQ node name, hostname suffix or long-name setting inconsistent with serviceName"},
      {"cluster-domain", Severity::kWarning,
       "peer discovery or node names tied to the DNS domain cluster.local (NXDOMAIN elsewhere)"},
      {"env-reference", Severity::kWarning, "$(VAR) reference to a variable not defined before it"},
      {"literal-credential", Severity::kError, "Erlang cookie or default password written as a literal"},
      {"rabbitmq-memory", Severity::kWarning, "memory limit without a RabbitMQ memory setting derived from it"},
      {"invalid-rabbitmq-object", Severity::kError, "rabbitmq.com document with a missing or invalid spec field"},
      {"classic-mirrored-queues", Severity::kWarning, "classic queue mirroring (ha-mode), removed in RabbitMQ 4.0"},
      {"unsupported-field", Severity::kWarning, "a rabbitmq.com spec field warren neither compares nor applies"},
      {"unmanaged-rabbitmq-kind", Severity::kWarning,
       "a rabbitmq.com kind warren does not manage (Federation, Shovel, ...)"},
      {"management-exposed", Severity::kWarning, "management port 15672 exposed via NodePort/LoadBalancer"},
      {"non-string-value", Severity::kError, "boolean or number where Kubernetes expects a string"},
      {"secret-in-plaintext", Severity::kWarning, "a Secret's data or stringData kept in git unencrypted (not SOPS)"},
      {"invalid-shape", Severity::kError,
       "a field holds a string, number or list where its kind has a mapping (or the reverse)"},
  };
  return kRules;
}

Findings Lint(const std::vector<Object>& all) {
  Findings out;
  std::vector<Object> objects;
  for (const Object& o : all) {
    auto bad = ShapeProblem(o);
    if (!bad) {
      objects.push_back(o);
      continue;
    }
    std::string field = bad->first.empty() ? "a field" : bad->first;
    std::replace(field.begin(), field.end(), '/', '.');  // /spec/ports/0 -> .spec.ports.0
    out.push_back(MakeFinding("invalid-shape", Severity::kError, o, bad->first,
                              field + " is " + bad->second + ": the API server rejects the object",
                              "write " + field + " as its kind defines it (kubectl explain " + o.kind() + ")"));
  }
  // A rule that meets a field of a type it does not expect (deeper than ShapeProblem looks) names
  // the objects it cannot read, as invalid-shape, and runs again without them.
  using Rule = void (*)(const ManifestIndex&, Findings*);
  auto run = [&](Rule rule) {
    Findings found;
    try {
      rule(ManifestIndex(objects), &found);
    } catch (const Json::exception&) {
      found.clear();
      std::vector<Object> readable;
      for (const Object& o : objects) {
        Findings ignored;
        try {
          rule(ManifestIndex({o}), &ignored);
          readable.push_back(o);
        } catch (const Json::exception& e) {
          out.push_back(MakeFinding("invalid-shape", Severity::kError, o, "",
                                    "a field has a type its kind does not allow (" + std::string(e.what()) +
                                        "): the API server rejects the object",
                                    "write the object as its kind defines it (kubectl explain " + o.kind() + ")"));
        }
      }
      objects = std::move(readable);
      rule(ManifestIndex(objects), &found);
    }
    out.insert(out.end(), found.begin(), found.end());
  };
  for (Rule rule :
       {CheckRemovedApiVersions, CheckRoleRefs, CheckServiceAccounts, CheckPeerDiscoveryRbac,
        CheckSecretAndConfigMapRefs, CheckStatefulSets, CheckNodeNaming, CheckClusterDomain, CheckLiteralCredentials,
        CheckMemorySettings, CheckRabbitTopology, CheckManagementExposure, CheckStringValues, CheckPlaintextSecrets})
    run(rule);
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.where.file, a.where.line, a.where.column, a.rule) <
           std::tie(b.where.file, b.where.line, b.where.column, b.rule);
  });
  return out;
}

bool HasErrors(const Findings& findings) {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::kError; });
}

std::string RenderText(const Findings& findings) {
  std::string out;
  size_t errors = 0;
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) ++errors;
    out += f.where.ToString() + ": " + SeverityName(f.severity) + " [" + f.rule + "] " + f.object.ToString() + ": " +
           f.message + "\n    fix: " + f.fix + "\n";
  }
  out += std::to_string(errors) + " error(s), " + std::to_string(findings.size() - errors) + " warning(s)\n";
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
