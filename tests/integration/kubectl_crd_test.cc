// The real kubectl against the emulator's custom resources and impersonation, the two things
// WarrenSource objects rest on: deploy/crd-warrensource.yaml served (discovery, Established, the
// printer columns of `kubectl get`, schema validation with the server's messages, pruning and
// strict field validation, the status subresource, generations, `kubectl wait`, explain, delete),
// and Impersonate-User checked against RBAC's impersonate verb, then RBAC as the impersonated user.
#include <gtest/gtest.h>

#include "tests/integration/emulator_process.h"

namespace warren::testing {
namespace {

const std::string kCrd = std::string(WARREN_SOURCE_DIR) + "/deploy/crd-warrensource.yaml";

class KubectlCustomResources : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = &EmulatorProcess::Shared("crd");
    ASSERT_TRUE(emu_->ok()) << "the emulator did not start";
    RunResult r = emu_->Kubectl("apply --server-side -f " + kCrd);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    RunResult established = emu_->Kubectl("wait --for condition=established crd/warrensources.warren.io --timeout=10s");
    ASSERT_EQ(established.exit_code, 0) << established.out;
  }
  RunResult Apply(const std::string& name, const std::string& yaml, const std::string& flags = "") {
    return emu_->Kubectl("apply " + flags + " -f " + WriteTemp(name + ".yaml", yaml));
  }
  const EmulatorProcess* emu_ = nullptr;
};

const char* kProd = R"(apiVersion: warren.io/v1alpha1
kind: WarrenSource
metadata: {name: prod, namespace: default}
spec:
  repo: https://git.example.com/platform/rabbitmq.git
  interval: 5m
  prune: true
)";

// kProd named `name` in `ns`, with a finalizer nothing will remove unasked.
std::string Held(const std::string& name, const std::string& ns) {
  const std::string plain = "metadata: {name: prod, namespace: default}";
  std::string held = kProd;
  held.replace(held.find(plain), plain.size(),
               "metadata: {name: " + name + ", namespace: " + ns + ", finalizers: [example.com/hold]}");
  return held;
}

TEST_F(KubectlCustomResources, ServedAndPrintedWithItsColumns) {
  RunResult resources = emu_->Kubectl("api-resources --api-group warren.io");
  EXPECT_TRUE(Has(resources.out, "warrensources") && Has(resources.out, "ws") && Has(resources.out, "WarrenSource"))
      << resources.out;
  ASSERT_EQ(Apply("prod", kProd).exit_code, 0);
  RunResult table = emu_->Kubectl("get ws");
  EXPECT_TRUE(Has(table.out, "NAME   READY   REVISION   SUSPENDED   AGE   MESSAGE")) << table.out;
  // The category lists it too.
  RunResult category = emu_->Kubectl("get warren");
  EXPECT_TRUE(Has(category.out, "REVISION") && Has(category.out, "prod")) << category.out;
  RunResult explain = emu_->Kubectl("explain warrensource.spec.interval");
  EXPECT_TRUE(Has(explain.out, "How often git is polled")) << explain.out;
}

TEST_F(KubectlCustomResources, InvalidObjectsAreRefusedWithTheSchemasWords) {
  RunResult bad = Apply("bad", R"(apiVersion: warren.io/v1alpha1
kind: WarrenSource
metadata: {name: bad, namespace: default}
spec:
  interval: 5x
  prune: "yes"
  decryption: {provider: vault, secretRef: {name: keys}}
  rabbitmq: {urls: []}
)");
  EXPECT_NE(bad.exit_code, 0);
  for (const char* line :
       {"spec.repo: Required value",
        R"(spec.decryption.provider: Unsupported value: "vault": supported values: "sops")",
        R"(spec.interval: Invalid value: "5x": spec.interval in body should match '^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$')",
        R"(spec.prune: Invalid value: "string": spec.prune in body must be of type boolean: "string")",
        "spec.rabbitmq.urls: Invalid value: 0: spec.rabbitmq.urls in body should have at least 1 items"})
    EXPECT_TRUE(Has(bad.out, line)) << line << "\n" << bad.out;
  EXPECT_NE(emu_->Kubectl("get ws bad").exit_code, 0) << "nothing stored";
}

TEST_F(KubectlCustomResources, UnknownFieldsAreRefusedWhenStrictAndPrunedOtherwise) {
  std::string extra = std::string(kProd) + "  bogus: 1\n";
  RunResult strict = Apply("strict", extra);
  EXPECT_NE(strict.exit_code, 0);
  EXPECT_TRUE(Has(strict.out, "strict decoding error: unknown field \"spec.bogus\"")) << strict.out;
  RunResult ignored = Apply("ignored", extra, "--validate=false");
  ASSERT_EQ(ignored.exit_code, 0) << ignored.out;
  Json stored = emu_->KubectlGet("ws prod -n default");
  EXPECT_FALSE(stored["spec"].contains("bogus")) << stored.dump();
  EXPECT_EQ(stored["spec"]["interval"], "5m");
}

TEST_F(KubectlCustomResources, StatusIsWrittenThroughItsSubresourceOnly) {
  ASSERT_EQ(Apply("prod", kProd).exit_code, 0);
  // The main resource ignores status; spec changes count generations, status changes do not.
  ASSERT_EQ(emu_->Kubectl(R"(patch ws prod --type merge -p '{"status":{"lastAppliedRevision":"x"}}')").exit_code, 0);
  Json obj = emu_->KubectlGet("ws prod");
  EXPECT_FALSE(obj.contains("status")) << obj.dump();
  EXPECT_EQ(obj["metadata"]["generation"], 1);
  RunResult status =
      emu_->Kubectl(R"(patch ws prod --subresource status --type merge -p '{"status":{"lastAppliedRevision":"abc123",)"
                    R"("conditions":[{"type":"Ready","status":"True","reason":"ReconciliationSucceeded",)"
                    R"("message":"applied abc123","lastTransitionTime":"2026-12-03T10:00:00Z"}]}}')");
  ASSERT_EQ(status.exit_code, 0) << status.out;
  RunResult wait = emu_->Kubectl("wait --for=condition=Ready warrensource/prod --timeout=5s");
  EXPECT_EQ(wait.exit_code, 0) << wait.out;
  RunResult table = emu_->Kubectl("get ws prod --no-headers");
  EXPECT_TRUE(Has(table.out, "True") && Has(table.out, "abc123") && Has(table.out, "applied abc123")) << table.out;
  ASSERT_EQ(emu_->Kubectl(R"(patch ws prod --type merge -p '{"spec":{"suspend":true}}')").exit_code, 0);
  obj = emu_->KubectlGet("ws prod");
  EXPECT_EQ(obj["metadata"]["generation"], 2);
  EXPECT_EQ(obj["status"]["lastAppliedRevision"], "abc123") << "a spec write keeps the status";
  // A status that breaks the schema is refused like any other write.
  RunResult bad = emu_->Kubectl(
      R"(patch ws prod --subresource status --type merge -p '{"status":{"conditions":[{"type":"Ready","status":"maybe"}]}}')");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(Has(bad.out, "status.conditions[0].status: Unsupported value: \"maybe\"")) << bad.out;
}

TEST_F(KubectlCustomResources, DeletingTheDefinitionWithdrawsTheResourceAndItsObjects) {
  ASSERT_EQ(Apply("prod", kProd).exit_code, 0);
  ASSERT_EQ(emu_->Kubectl("delete crd warrensources.warren.io").exit_code, 0);
  RunResult gone = emu_->Kubectl("get ws");
  EXPECT_NE(gone.exit_code, 0);
  // kubectl still knows the name from its discovery cache; the server knows the path no more.
  EXPECT_TRUE(Has(gone.out, "the server could not find the requested resource")) << gone.out;
  ASSERT_EQ(emu_->Kubectl("apply --server-side -f " + kCrd).exit_code, 0);
  RunResult empty = emu_->Kubectl("get ws -A");
  EXPECT_TRUE(Has(empty.out, "No resources found")) << empty.out;
}

// Finalizers: a delete marks the object; it goes once the last finalizer is removed.
TEST_F(KubectlCustomResources, FinalizersHoldADeletedObjectUntilRemoved) {
  ASSERT_EQ(Apply("held", Held("prod", "default")).exit_code, 0);
  RunResult deleting = emu_->Kubectl("delete ws prod --wait=false");
  ASSERT_EQ(deleting.exit_code, 0) << deleting.out;
  Json obj = emu_->KubectlGet("ws prod");
  ASSERT_TRUE(obj.is_object());
  EXPECT_TRUE(obj["metadata"].contains("deletionTimestamp")) << obj.dump();
  RunResult waiting = emu_->Kubectl("delete ws prod --timeout=2s");
  EXPECT_NE(waiting.exit_code, 0) << waiting.out;
  ASSERT_EQ(
      emu_->Kubectl(R"(patch ws prod --type json -p '[{"op":"remove","path":"/metadata/finalizers/0"}]')").exit_code,
      0);
  EXPECT_TRUE(emu_->KubectlGet("ws prod").is_null());
}

// A namespace deleted while an object in it has a finalizer: the rest goes at once, the namespace
// is Terminating and takes nothing new, and it is gone once the last finalizer is removed.
TEST_F(KubectlCustomResources, ANamespaceTerminatesUntilItsFinalizedObjectsAreGone) {
  ASSERT_EQ(emu_->Kubectl("create namespace ending").exit_code, 0);
  ASSERT_EQ(emu_->Kubectl("create configmap plain -n ending --from-literal=k=v").exit_code, 0);
  ASSERT_EQ(Apply("held-in-ns", Held("held", "ending")).exit_code, 0);

  RunResult deleting = emu_->Kubectl("delete namespace ending --wait=false");
  ASSERT_EQ(deleting.exit_code, 0) << deleting.out;
  RunResult table = emu_->Kubectl("get namespace ending --no-headers");
  EXPECT_NE(table.out.find("Terminating"), std::string::npos) << table.out;
  EXPECT_TRUE(emu_->KubectlGet("configmap plain -n ending").is_null());
  Json ws = emu_->KubectlGet("ws held -n ending");
  ASSERT_TRUE(ws.is_object());
  EXPECT_TRUE(ws["metadata"].contains("deletionTimestamp")) << ws.dump();
  RunResult refused = emu_->Kubectl("create configmap late -n ending --from-literal=k=v");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("configmaps \"late\" is forbidden: unable to create new content in namespace ending "
                             "because it is being terminated"),
            std::string::npos)
      << refused.out;

  ASSERT_EQ(
      emu_->Kubectl(R"(patch ws held -n ending --type json -p '[{"op":"remove","path":"/metadata/finalizers/0"}]')")
          .exit_code,
      0);
  EXPECT_TRUE(emu_->KubectlGet("ws held -n ending").is_null());
  EXPECT_TRUE(emu_->KubectlGet("namespace ending").is_null());
}

TEST_F(KubectlCustomResources, ABrokenDefinitionIsRefused) {
  RunResult r = Apply("crd-bad", R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example}
spec:
  group: example
  names: {plural: things, kind: Thing}
  scope: Somewhere
  versions:
  - {name: v1, served: true, storage: false}
)");
  EXPECT_NE(r.exit_code, 0);
  for (const char* line : {R"(spec.group: Invalid value: "example": should be a domain with at least one dot)",
                           R"(spec.scope: Unsupported value: "Somewhere")",
                           "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
                           "must have exactly one version marked as storage version"})
    EXPECT_TRUE(Has(r.out, line)) << line << "\n" << r.out;
}

// The limited token is system:serviceaccount:dev:warren; it may impersonate dev/app only once RBAC
// says so, and then every request is judged as dev/app.
TEST_F(KubectlCustomResources, ImpersonationNeedsTheImpersonateVerbAndIsJudgedAsTheTarget) {
  std::string as_warren = std::string("--token ") + kLimitedToken + " --as system:serviceaccount:dev:app ";
  ASSERT_EQ(Apply("ns", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n").exit_code, 0);
  RunResult refused = emu_->Kubectl(as_warren + "get configmaps -n dev");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(Has(refused.out,
                  R"(serviceaccounts "app" is forbidden: User "system:serviceaccount:dev:warren" )"
                  R"(cannot impersonate resource "serviceaccounts" in API group "" in the namespace "dev")"))
      << refused.out;
  ASSERT_EQ(Apply("impersonate", R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: impersonate-app, namespace: dev}
rules:
- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate], resourceNames: [app]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: warren-impersonates-app, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: impersonate-app}
subjects:
- {kind: ServiceAccount, name: warren, namespace: dev}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-configmaps, namespace: dev}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app-reads-configmaps, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-configmaps}
subjects:
- {kind: ServiceAccount, name: app, namespace: dev}
)")
                .exit_code,
            0);
  EXPECT_EQ(emu_->Kubectl(as_warren + "get configmaps -n dev").exit_code, 0);
  RunResult as_app = emu_->Kubectl(as_warren + "get secrets -n dev");
  EXPECT_NE(as_app.exit_code, 0);
  EXPECT_TRUE(Has(as_app.out, R"(User "system:serviceaccount:dev:app" cannot list resource "secrets")")) << as_app.out;
  // Only dev/app: another service account stays out of reach.
  RunResult other = emu_->Kubectl(std::string("--token ") + kLimitedToken +
                                  " --as system:serviceaccount:dev:rabbitmq get configmaps -n dev");
  EXPECT_TRUE(Has(other.out, "cannot impersonate resource \"serviceaccounts\"")) << other.out;
}

}  // namespace
}  // namespace warren::testing
