// warren diff against a cluster (the API emulator), through the real binary: clean after kubectl
// applied the reference manifests, exactly the changes kubectl made afterwards (Secret values
// hidden), the same answer from the server's dry-run apply with no write in the request log, a
// clear 403 for an RBAC-limited token, and exit 2 for a server that is down or refuses the token.
#include <gtest/gtest.h>

#include "tests/integration/emulator_process.h"

namespace warren::testing {
namespace {

const std::string kManifests = std::string(WARREN_SOURCE_DIR) + "/manifests";
const std::string kSecret = std::string(WARREN_SOURCE_DIR) + "/tests/fixtures/cluster";
const std::string kDesired = kManifests + " " + kSecret;

class KubeDiff : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emu_ = new EmulatorProcess("kube-diff");
    ASSERT_TRUE(emu_->ok());
    ASSERT_EQ(emu_->Kubectl("apply --server-side -f " +
                            WriteTemp("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n"))
                  .exit_code,
              0);
    RunResult r = emu_->Kubectl("apply --server-side -R -f " + kManifests + " -f " + kSecret);
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  static void TearDownTestSuite() { delete emu_; }
  static EmulatorProcess* emu_;
};
EmulatorProcess* KubeDiff::emu_ = nullptr;

// Every form a Secret value could leak in: plain and base64.
const char* kSecretForms[] = {
    "Pw-for-tests-only-4f1d",   "UHctZm9yLXRlc3RzLW9ubHktNGYxZA==", "changed-by-hand-77",
    "Y2hhbmdlZC1ieS1oYW5kLTc3", "COOKIE-for-tests-only-9a7e",       "Q09PS0lFLWZvci10ZXN0cy1vbmx5LTlhN2U="};

TEST_F(KubeDiff, CleanThenExactlyWhatKubectlChanged) {
  RunResult clean = emu_->Warren("diff " + kDesired);
  ASSERT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_TRUE(Has(clean.out, "14 unchanged")) << clean.out;

  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=5").exit_code, 0);
  ASSERT_EQ(emu_->Kubectl("set env statefulset/rabbitmq -n dev RABBITMQ_USE_LONGNAME=false").exit_code, 0);
  ASSERT_EQ(
      emu_->Kubectl(
              "patch secret rabbitmq-credentials -n dev -p '{\"stringData\":{\"password\":\"changed-by-hand-77\"}}'")
          .exit_code,
      0);

  RunResult drift = emu_->Warren("diff " + kDesired);
  EXPECT_EQ(drift.exit_code, 1) << drift.out;
  // Each change names who made it, from managedFields as the server recorded kubectl's writes.
  EXPECT_TRUE(Has(drift.out,
                  "~ StatefulSet dev/rabbitmq  (update)\n    .spec.replicas: 5 → 3  (set by kubectl, Update "
                  "/scale, 20"))
      << drift.out;
  EXPECT_TRUE(Has(drift.out,
                  ".spec.template.spec.containers[name=\"rabbitmq\"].env[name=\"RABBITMQ_USE_LONGNAME\"].value: "
                  "\"false\" → \"true\"  (set by kubectl-set, Update, 20"))
      << drift.out;
  EXPECT_TRUE(Has(drift.out,
                  "~ Secret dev/rabbitmq-credentials  (update)\n    .data.password: changed (value hidden)  "
                  "(set by kubectl-patch, Update, 20"))
      << drift.out;
  EXPECT_TRUE(Has(drift.out, ".spec.updateStrategy.rollingUpdate.partition: 0 → 5\n"))
      << "warren's own hold says nothing extra\n"
      << drift.out;
  EXPECT_TRUE(Has(drift.out, "0 to create, 2 to update, 0 to recreate, 0 to prune, 12 unchanged")) << drift.out;

  RunResult json = emu_->Warren("diff " + kDesired + " -o json");
  EXPECT_EQ(json.exit_code, 1);
  Json scaled_by;
  for (const Json& o : Json::parse(json.out, nullptr, false).value("objects", Json::array()))
    for (const Json& c : o.value("changes", Json::array()))
      if (o["kind"] == "StatefulSet" && c["path"] == "/spec/replicas") scaled_by = c.value("changedBy", Json());
  EXPECT_EQ(scaled_by.value("manager", ""), "kubectl") << json.out;
  EXPECT_EQ(scaled_by.value("operation", ""), "Update") << json.out;
  EXPECT_EQ(scaled_by.value("subresource", ""), "scale") << json.out;
  EXPECT_EQ(scaled_by.value("time", "").size(), 20u) << json.out;
  for (const char* v : kSecretForms) {
    EXPECT_FALSE(Has(drift.out, v)) << "a Secret value in the text report: " << v;
    EXPECT_FALSE(Has(json.out, v)) << "a Secret value in the JSON report: " << v;
  }

  // The server's own prediction of the apply says the same, and the dry run writes nothing.
  emu_->ClearLog();
  RunResult predicted = emu_->Warren("diff " + kDesired + " --server-dry-run");
  EXPECT_EQ(predicted.exit_code, 1) << predicted.out;
  EXPECT_TRUE(Has(predicted.out, ".spec.replicas: 5 → 3")) << predicted.out;
  EXPECT_TRUE(Has(predicted.out, ".data.password: changed (value hidden)")) << predicted.out;
  Json log = emu_->Log();
  int writes = 0, patches = 0;
  for (const Json& r : log) {
    writes += r["write"].get<bool>();
    patches += r["method"] == "PATCH";
  }
  EXPECT_EQ(writes, 0) << log.dump(1);
  EXPECT_EQ(patches, 14) << "one dry-run apply per object";
  for (const char* v : kSecretForms) EXPECT_FALSE(Has(predicted.out, v));
}

TEST_F(KubeDiff, AtMostOneReadPerObject) {
  emu_->ClearLog();
  RunResult r = emu_->Warren("diff " + kDesired);
  ASSERT_NE(r.exit_code, 2) << r.out;
  int reads = 0;
  for (const Json& e : emu_->Log())
    if (e["verb"] == "get" || e["verb"] == "list") ++reads;
  EXPECT_LE(reads, 14) << "14 desired objects";
  EXPECT_LT(reads, 14) << "several objects of one kind and namespace share a LIST";
}

TEST_F(KubeDiff, RbacLimitedTokenGetsAClear403) {
  RunResult r = emu_->Warren("diff " + kDesired + " --context dev-warren");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(Has(r.out, "403 Forbidden")) << r.out;
  EXPECT_TRUE(Has(r.out, "User \"system:serviceaccount:dev:warren\" cannot")) << r.out;
  EXPECT_TRUE(Has(r.out, "(warren's RBAC needs \"")) << r.out;
  EXPECT_FALSE(Has(r.out, kLimitedToken)) << "tokens never appear in output";
}

TEST_F(KubeDiff, UnreachableServerAndRefusedTokenExitTwo) {
  std::string bad_token =
      WriteTemp("kubeconfig-bad-token",
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + emu_->server() +
                    "\n    certificate-authority: " + emu_->dir() +
                    "/ca.crt\nusers:\n- name: u\n  user:\n    token: not-a-real-token-5e2\n"
                    "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n");
  RunResult refused =
      EmulatorProcess::Shell(std::string(WARREN_BINARY) + " diff " + kDesired + " --kubeconfig " + bad_token);
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_TRUE(Has(refused.out, "401 Unauthorized")) << refused.out;
  EXPECT_FALSE(Has(refused.out, "not-a-real-token-5e2"));

  std::string down =
      WriteTemp("kubeconfig-down",
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\n"
                "users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
                "current-context: x\n");
  RunResult unreachable = EmulatorProcess::Shell(std::string(WARREN_BINARY) + " diff " + kDesired + " --kubeconfig " +
                                                 down + " --request-timeout-ms 2000");
  EXPECT_EQ(unreachable.exit_code, 2) << unreachable.out;
  EXPECT_TRUE(Has(unreachable.out, "cannot reach the Kubernetes API at https://127.0.0.1:9")) << unreachable.out;
}

}  // namespace
}  // namespace warren::testing
