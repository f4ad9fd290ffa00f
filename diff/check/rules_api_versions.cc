// removed-api-version: group/versions that current API servers no longer serve. Applying such a
// manifest fails with `no matches for kind "StatefulSet" in version "apps/v1beta1"`.
#include <array>
#include <string_view>

#include "diff/check/rules.h"

namespace warren::check {
namespace {

struct Removed {
  std::string_view group, version, kind;  // empty kind: every kind of that group/version
  std::string_view removed_in, replacement;
};

constexpr std::array<Removed, 30> kRemoved = {{
    {"apps", "v1beta1", "", "1.16", "apps/v1"},
    {"apps", "v1beta2", "", "1.16", "apps/v1"},
    {"extensions", "v1beta1", "Deployment", "1.16", "apps/v1"},
    {"extensions", "v1beta1", "DaemonSet", "1.16", "apps/v1"},
    {"extensions", "v1beta1", "ReplicaSet", "1.16", "apps/v1"},
    {"extensions", "v1beta1", "NetworkPolicy", "1.16", "networking.k8s.io/v1"},
    {"extensions", "v1beta1", "Ingress", "1.22", "networking.k8s.io/v1"},
    {"networking.k8s.io", "v1beta1", "", "1.22", "networking.k8s.io/v1"},
    {"rbac.authorization.k8s.io", "v1beta1", "", "1.22", "rbac.authorization.k8s.io/v1"},
    {"rbac.authorization.k8s.io", "v1alpha1", "", "1.22", "rbac.authorization.k8s.io/v1"},
    {"coordination.k8s.io", "v1beta1", "", "1.22", "coordination.k8s.io/v1"},
    {"apiextensions.k8s.io", "v1beta1", "", "1.22", "apiextensions.k8s.io/v1"},
    {"admissionregistration.k8s.io", "v1beta1", "", "1.22", "admissionregistration.k8s.io/v1"},
    {"apiregistration.k8s.io", "v1beta1", "", "1.22", "apiregistration.k8s.io/v1"},
    {"authentication.k8s.io", "v1beta1", "", "1.22", "authentication.k8s.io/v1"},
    {"authorization.k8s.io", "v1beta1", "", "1.22", "authorization.k8s.io/v1"},
    {"certificates.k8s.io", "v1beta1", "", "1.22", "certificates.k8s.io/v1"},
    {"scheduling.k8s.io", "v1beta1", "", "1.22", "scheduling.k8s.io/v1"},
    {"storage.k8s.io", "v1beta1", "CSIDriver", "1.22", "storage.k8s.io/v1"},
    {"storage.k8s.io", "v1beta1", "CSINode", "1.22", "storage.k8s.io/v1"},
    {"storage.k8s.io", "v1beta1", "StorageClass", "1.22", "storage.k8s.io/v1"},
    {"storage.k8s.io", "v1beta1", "VolumeAttachment", "1.22", "storage.k8s.io/v1"},
    {"batch", "v1beta1", "CronJob", "1.25", "batch/v1"},
    {"policy", "v1beta1", "PodDisruptionBudget", "1.25", "policy/v1"},
    {"policy", "v1beta1", "PodSecurityPolicy", "1.25", ""},
    {"discovery.k8s.io", "v1beta1", "", "1.25", "discovery.k8s.io/v1"},
    {"events.k8s.io", "v1beta1", "", "1.25", "events.k8s.io/v1"},
    {"node.k8s.io", "v1beta1", "", "1.25", "node.k8s.io/v1"},
    {"autoscaling", "v2beta1", "", "1.25", "autoscaling/v2"},
    {"autoscaling", "v2beta2", "", "1.26", "autoscaling/v2"},
}};

}  // namespace

void CheckRemovedApiVersions(const ManifestIndex& index, Findings* out) {
  for (const Object& o : index.objects()) {
    std::string group = o.group(), version = o.version(), kind = o.kind();
    for (const Removed& r : kRemoved) {
      if (r.group != group || r.version != version || (!r.kind.empty() && r.kind != kind)) continue;
      std::string message = kind + " " + o.api_version() + " is no longer served since Kubernetes " +
                            std::string(r.removed_in) + ": the API server rejects it";
      std::string fix = r.replacement.empty() ? "remove it: " + kind + " has no replacement"
                                              : "use apiVersion: " + std::string(r.replacement);
      if (group == "apps" && kind == "StatefulSet" && !o.doc().contains("/spec/selector"_json_pointer))
        fix += " and add spec.selector (apps/v1 requires it)";
      out->push_back(
          MakeFinding("removed-api-version", Severity::kError, o, "/apiVersion", std::move(message), std::move(fix)));
      break;
    }
  }
}

}  // namespace warren::check
