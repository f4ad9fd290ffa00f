// warren's Kubernetes client against the API emulator: kubeconfig as kubectl reads it, exec
// credential plugins (cached until expiry), rotated token files (re-read after a 401), retries on
// 429/5xx, apply conflicts as values, watch with resume and relist after 410, and
// SelfSubjectAccessReview.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "agent/kube/client.h"
#include "agent/kube/kubeconfig.h"
#include "diff/model/decode.h"
#include "tests/integration/emulator_process.h"

namespace warren::testing {
namespace {

using kube::KubeClient;

class KubeClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emu_ = new EmulatorProcess("client", {"--history", "50"});
    ASSERT_TRUE(emu_->ok());
    ASSERT_EQ(emu_->Kubectl("apply --server-side -f " +
                            WriteTemp("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n"))
                  .exit_code,
              0);
  }
  static void TearDownTestSuite() { delete emu_; }

  // A kubeconfig for the emulator with `user` as the user block (YAML, indented by 4).
  static std::string Kubeconfig(const std::string& name, const std::string& user) {
    return WriteTemp(
        name,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: emu\n  cluster:\n    server: " + emu_->server() +
            "\n    certificate-authority: " + emu_->dir() + "/ca.crt\nusers:\n- name: me\n  user:\n" + user +
            "contexts:\n- name: ctx\n  context: {cluster: emu, user: me, namespace: dev}\ncurrent-context: ctx\n");
  }
  static std::unique_ptr<KubeClient> Admin(long backoff_ms = 200) {
    auto config = kube::LoadKubeconfig({emu_->kubeconfig(), "", ""});
    kube::ClientOptions options;
    options.backoff_ms = backoff_ms;
    return std::move(KubeClient::Create(config.value(), options)).value();
  }
  static EmulatorProcess* emu_;
};
EmulatorProcess* KubeClientTest::emu_ = nullptr;

TEST_F(KubeClientTest, KubeconfigListsFirstDefinitionWinsAndContextsResolve) {
  std::string first = WriteTemp(
      "kc-first", "apiVersion: v1\nkind: Config\ncurrent-context: b\nusers:\n- name: u\n  user: {token: from-first}\n");
  std::string second = Kubeconfig("kc-second", "    token: from-second\n");
  setenv("KUBECONFIG", (first + ":/nonexistent/config:" + second).c_str(), 1);
  auto missing = kube::LoadKubeconfig({});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "kubeconfig: context \"b\" is not defined");
  auto ctx = kube::LoadKubeconfig({"", "ctx", ""});
  unsetenv("KUBECONFIG");
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  EXPECT_EQ(ctx.value().namespace_, "dev");
  EXPECT_EQ(ctx.value().server, emu_->server());

  auto other_ns = kube::LoadKubeconfig({emu_->kubeconfig(), "admin-cert", "kube-system"});
  ASSERT_TRUE(other_ns.ok());
  EXPECT_EQ(other_ns.value().namespace_, "kube-system");
  EXPECT_FALSE(other_ns.value().client_cert_pem.empty()) << "client-certificate files are read";
  auto client = KubeClient::Create(other_ns.value());
  auto can = client.value()->CanI("delete", "apps", "statefulsets", "dev");
  ASSERT_TRUE(can.ok()) << can.status().message();
  EXPECT_TRUE(can.value()) << "the client certificate's O=system:masters";
  EXPECT_FALSE(kube::LoadKubeconfig({emu_->dir() + "/nope", "", ""}).ok());
}

TEST_F(KubeClientTest, ExecPluginTokenIsCachedUntilExpiry) {
  std::string token;
  std::ifstream kc(emu_->kubeconfig());
  for (std::string line; std::getline(kc, line);)
    if (line.find("token: ") != std::string::npos) {
      token = line.substr(line.find("token: ") + 7);
      break;
    }
  std::string calls = emu_->dir() + "/plugin-calls";
  std::filesystem::remove(calls);
  std::string plugin = WriteTemp(
      "exec-plugin.sh", "#!/bin/sh\necho call >> " + calls +
                            "\n[ -n \"$KUBERNETES_EXEC_INFO\" ] || exit 3\n"
                            "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                            "\"status\":{\"token\":\"" +
                            token + "\",\"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}'\n");
  std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
  auto config = kube::LoadKubeconfig(
      {Kubeconfig("kc-exec",
                  "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + plugin + "\n"),
       "", ""});
  ASSERT_TRUE(config.ok()) << config.status().message();
  auto client = std::move(KubeClient::Create(config.value())).value();
  auto sa = client->Resolve("v1", "ServiceAccount");
  ASSERT_TRUE(sa.ok()) << sa.status().message();
  ASSERT_TRUE(client->List(sa.value(), "dev").ok());
  ASSERT_TRUE(client->List(sa.value(), "kube-system").ok());
  std::ifstream in(calls);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  EXPECT_EQ(n, 1) << "the plugin ran once, its token reused until expirationTimestamp";

  std::string failing = WriteTemp("exec-fail.sh", "#!/bin/sh\necho 'no credentials here' >&2\nexit 1\n");
  std::filesystem::permissions(failing, std::filesystem::perms::owner_all);
  auto bad = kube::LoadKubeconfig({Kubeconfig("kc-exec-fail", "    exec:\n      command: " + failing + "\n"), "", ""});
  auto r = std::move(KubeClient::Create(bad.value())).value()->Resolve("v1", "Pod");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("exec credential plugin " + failing + " failed (exit 1)"), std::string::npos)
      << r.status().message();
}

TEST_F(KubeClientTest, RotatedTokenFileIsReadAgainAfterA401) {
  std::string file = WriteTemp("sa-token", "expired-token-value\n");
  auto config = kube::LoadKubeconfig({Kubeconfig("kc-tokenfile", "    tokenFile: " + file + "\n"), "", ""});
  ASSERT_TRUE(config.ok());
  auto client = std::move(KubeClient::Create(config.value())).value();
  auto first = client->CanI("get", "", "pods", "dev");  // reads the file: refused
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kUnauthenticated);
  std::ofstream(file) << kLimitedToken << "\n";  // the kubelet rotated it
  auto second = client->CanI("get", "", "pods", "dev");
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_FALSE(second.value()) << "dev/warren may not get pods";
}

TEST_F(KubeClientTest, InClusterServiceAccount) {
  std::string sa = emu_->dir() + "/serviceaccount";
  std::filesystem::create_directories(sa);
  std::filesystem::copy_file(emu_->dir() + "/ca.crt", sa + "/ca.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::ofstream(sa + "/token") << kLimitedToken;
  std::ofstream(sa + "/namespace") << "dev\n";
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_FALSE(kube::LoadInCluster(sa).ok()) << "outside a pod";
  setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", std::to_string(emu_->port()).c_str(), 1);
  auto config = kube::LoadInCluster(sa);
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config.value().namespace_, "dev");
  auto client = std::move(KubeClient::Create(config.value())).value();
  auto can = client->CanI("patch", "apps", "statefulsets", "dev");
  ASSERT_TRUE(can.ok()) << can.status().message();
  EXPECT_FALSE(can.value());
}

TEST_F(KubeClientTest, RetriesHonourRetryAfterAndBackOffOn5xx) {
  auto client = Admin(/*backoff_ms=*/20);
  auto cm = client->Resolve("v1", "ConfigMap");
  ASSERT_TRUE(cm.ok());
  emu_->Admin(
      "POST", "/emulator/faults",
      R"({"method":"GET","pathPrefix":"/api/v1/namespaces/dev/configmaps","status":429,"retryAfterSeconds":1,"times":1})");
  emu_->Admin("POST", "/emulator/faults",
              R"({"method":"GET","pathPrefix":"/api/v1/namespaces/dev/configmaps","status":503,"times":2})");
  size_t before = client->requests_sent();
  auto start = std::chrono::steady_clock::now();
  auto list = client->List(cm.value(), "dev");
  ASSERT_TRUE(list.ok()) << list.status().message();
  EXPECT_EQ(client->requests_sent() - before, 4u) << "one 429, two 503s, then the answer";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << "Retry-After: 1 was honoured";

  emu_->Admin("POST", "/emulator/faults",
              R"({"method":"GET","pathPrefix":"/api/v1/namespaces/dev/configmaps","status":500,"times":-1})");
  auto failed = client->List(cm.value(), "dev");
  emu_->Admin("DELETE", "/emulator/faults");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("500 InternalError: injected fault"), std::string::npos)
      << failed.status().message();
}

TEST_F(KubeClientTest, ApplyConflictAndNotFoundAreValuesCallersBranchOn) {
  auto client = Admin();
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "owned"}, {"namespace", "dev"}}},
             {"data", {{"k", "v1"}}}};
  ASSERT_TRUE(client->Apply(cm, {}).ok());
  ASSERT_EQ(emu_->Kubectl("patch configmap owned -n dev --type merge -p '{\"data\":{\"k\":\"by-hand\"}}'").exit_code,
            0);
  auto conflict = client->Apply(cm, {});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kConflict);
  EXPECT_NE(conflict.status().message().find(
                "409 Conflict: Apply failed with 1 conflict: conflict with \"kubectl-patch\" using v1: .data.k"),
            std::string::npos)
      << conflict.status().message();
  auto forced = client->Apply(cm, {/*force=*/true, false});
  ASSERT_TRUE(forced.ok()) << forced.status().message();
  EXPECT_EQ(forced.value()["data"]["k"], "v1");

  auto missing = client->Get(client->Resolve("v1", "ConfigMap").value(), "dev", "no-such");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing.value().has_value());
  auto removed = client->Resolve("apps/v1beta1", "StatefulSet");
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.status().message(), "StatefulSet apps/v1beta1 is not served by this cluster; it serves apps/v1");
}

// Impersonating a service account: the API server judges each request as that account (its 403
// names it), and discovery still works; a view without impersonation is unaffected.
TEST_F(KubeClientTest, ImpersonatedRequestsAreJudgedAsTheServiceAccount) {
  auto admin = Admin();
  ASSERT_EQ(emu_->Kubectl("apply -f " + WriteTemp("app-rbac.yaml", R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: app-configmaps, namespace: dev}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, patch, create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app-configmaps, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app-configmaps}
subjects:
- {kind: ServiceAccount, name: app, namespace: dev}
)"))
                .exit_code,
            0);
  auto app = admin->Impersonating("system:serviceaccount:dev:app");
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "as-app"}, {"namespace", "dev"}}},
             {"data", {{"k", "v"}}}};
  auto applied = app->Apply(cm, {});
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  Json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", "as-app"}, {"namespace", "dev"}}},
                 {"stringData", {{"k", "v"}}}};
  auto denied = app->Apply(secret, {});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kForbidden);
  EXPECT_NE(
      denied.status().message().find(
          R"(User "system:serviceaccount:dev:app" cannot patch resource "secrets" in API group "" in the namespace "dev")"),
      std::string::npos)
      << denied.status().message();
  EXPECT_TRUE(admin->Apply(secret, {}).ok()) << "the agent's own view is not impersonating";
  Json log = emu_->Log();
  bool as_app = false;
  for (const Json& r : log) as_app = as_app || r.value("user", "") == "system:serviceaccount:dev:app";
  EXPECT_TRUE(as_app) << log.dump();
}

// The emulator's StatefulSet controller, through warren's client: claims and ordered pods, status
// moving over time, and a delete with propagationPolicy Orphan that leaves pods and claims for the
// next StatefulSet of that name to adopt (what sync relies on to change immutable fields).
TEST_F(KubeClientTest, StatefulSetControllerAndOrphanDelete) {
  auto client = Admin();
  std::ifstream in(std::string(WARREN_SOURCE_DIR) + "/manifests/kubernetes/statefulset.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto docs = DecodeYaml(text, "statefulset.yaml");
  ASSERT_TRUE(docs.ok());
  Json sts = docs.value()[0].value;
  ASSERT_TRUE(client->Apply(sts, {}).ok());
  auto r = client->Resolve("apps/v1", "StatefulSet").value();
  Json live;
  for (int i = 0; i < 100; ++i) {
    live = *client->Get(r, "dev", "rabbitmq").value();
    if (live["status"].value("readyReplicas", 0) == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(live["status"]["readyReplicas"], 3) << live["status"].dump();
  EXPECT_EQ(live["status"]["observedGeneration"], live["metadata"]["generation"]);
  EXPECT_EQ(live["status"]["currentRevision"], live["status"]["updateRevision"]);
  auto pods_r = client->Resolve("v1", "Pod").value();
  auto pvcs_r = client->Resolve("v1", "PersistentVolumeClaim").value();
  auto pods = client->List(pods_r, "dev", "app.kubernetes.io/name=rabbitmq").value();
  auto pvcs = client->List(pvcs_r, "dev").value();
  ASSERT_EQ(pods.size(), 3u);
  ASSERT_EQ(pvcs.size(), 3u);
  EXPECT_EQ(pvcs[0]["status"]["phase"], "Bound");
  std::set<std::string> pod_uids, pvc_uids;
  for (const Json& p : pods) pod_uids.insert(p["metadata"]["uid"]);
  for (const Json& p : pvcs) pvc_uids.insert(p["metadata"]["uid"]);

  ASSERT_TRUE(client->Delete(r, "dev", "rabbitmq", "Orphan", live["metadata"]["uid"]).ok());
  EXPECT_FALSE(client->Get(r, "dev", "rabbitmq").value().has_value());
  auto orphans = client->List(pods_r, "dev", "app.kubernetes.io/name=rabbitmq").value();
  ASSERT_EQ(orphans.size(), 3u);
  EXPECT_FALSE(orphans[0]["metadata"].contains("ownerReferences"));

  ASSERT_TRUE(client->Apply(sts, {}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::set<std::string> after_pods, after_pvcs;
  std::vector<Json> adopted = client->List(pods_r, "dev", "app.kubernetes.io/name=rabbitmq").value();
  for (const Json& p : adopted) {
    after_pods.insert(p["metadata"]["uid"]);
    EXPECT_TRUE(p["metadata"].contains("ownerReferences")) << "adopted by the new StatefulSet";
  }
  std::vector<Json> claims = client->List(pvcs_r, "dev").value();
  for (const Json& p : claims) after_pvcs.insert(p["metadata"]["uid"]);
  EXPECT_EQ(after_pods, pod_uids);
  EXPECT_EQ(after_pvcs, pvc_uids);

  // A stale uid precondition is refused.
  Status stale = client->Delete(r, "dev", "rabbitmq", "Orphan", "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(stale.code(), StatusCode::kConflict) << stale.message();
}

TEST_F(KubeClientTest, WatchResumesAndRelistsAfterExpired) {
  auto client = Admin();
  auto cm = client->Resolve("v1", "ConfigMap").value();
  std::vector<std::string> seen;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    Json a = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "watched-a"}, {"namespace", "dev"}}}};
    (void)Admin()->Apply(a, {});
  });
  Status s = client->Watch(cm, "dev", "", 10, [&](const std::string& type, const Json& o) {
    seen.push_back(type + " " + o["metadata"].value("name", ""));
    return seen.back() != "ADDED watched-a";
  });
  writer.join();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(seen.back(), "ADDED watched-a");

  // A resourceVersion older than the emulator's 50-event history: 410 Expired inside the stream,
  // then a relist (every object ADDED) and the watch goes on.
  for (int i = 0; i < 60; ++i)
    (void)client->Apply({{"apiVersion", "v1"},
                         {"kind", "ConfigMap"},
                         {"metadata", {{"name", "churn"}, {"namespace", "dev"}}},
                         {"data", {{"i", std::to_string(i)}}}},
                        {});
  std::vector<std::string> relisted;
  s = client->Watch(cm, "dev", "1", 10, [&](const std::string& type, const Json& o) {
    relisted.push_back(type + " " + o["metadata"].value("name", ""));
    return relisted.size() < 2;
  });
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_GE(relisted.size(), 1u);
  EXPECT_EQ(relisted[0].rfind("ADDED ", 0), 0u) << relisted[0];
}

}  // namespace
}  // namespace warren::testing
