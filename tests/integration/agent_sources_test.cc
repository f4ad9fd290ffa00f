// warren run --watch-sources against the emulator, steered with the real kubectl: WarrenSource
// objects start, change, suspend, ask for a reconcile and go (pruning first when they say so,
// held by their finalizer); their status is written through the
// status subresource (Ready, Stalled, revisions) and read by `kubectl get`, `describe` and `wait`;
// each source's requests impersonate its serviceAccountName, so a repository that reaches into
// another team's namespace gets the API server's 403 there while the other source is unaffected.
#include <map>

#include <gtest/gtest.h>

#include "tests/integration/agent_process.h"
#include "tests/integration/emulator_process.h"
#include "tests/integration/forge_stub.h"
#include "tests/integration/rabbit_cluster.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

const std::string kCrd = std::string(WARREN_SOURCE_DIR) + "/deploy/crd-warrensource.yaml";
constexpr const char* kToken = "ws-git-t0ken-never-shown";

// A team's namespace, its deployer ServiceAccount and what it may do there.
std::string Team(const std::string& ns) {
  return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns +
         "}\n---\n"
         "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: " +
         ns +
         "}\n---\n"
         "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: deployer, namespace: " +
         ns +
         "}\n"
         "rules:\n- {apiGroups: [\"\"], resources: [configmaps, events], verbs: [get, list, watch, create, patch, "
         "update, delete]}\n---\n"
         "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: deployer, namespace: " +
         ns +
         "}\n"
         "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}\n"
         "subjects:\n- {kind: ServiceAccount, name: deployer, namespace: " +
         ns + "}\n";
}

std::string ConfigMap(const std::string& ns, const std::string& name, const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: " + ns + "}\ndata: {value: \"" +
         value + "\"}\n";
}

class AgentSources : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = &EmulatorProcess::Shared("sources");
    ASSERT_TRUE(emu_->ok());
    ASSERT_EQ(emu_->Kubectl("apply --server-side -f " + kCrd).exit_code, 0);
    RunResult teams = emu_->Kubectl("apply -f " + WriteTemp("teams.yaml", Team("team-a") + "---\n" + Team("team-b")));
    ASSERT_EQ(teams.exit_code, 0) << teams.out;
    state_ = emu_->dir() + "/state";
  }
  // A git repository with `files` (name → text) committed; returns its file:// URL.
  std::string Repo(const std::string& name, const std::map<std::string, std::string>& files) {
    std::string dir = emu_->dir() + "/repos/" + name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    EXPECT_EQ(Shell("git init -q -b main " + dir).exit_code, 0);
    return Commit(dir, files, "first");
  }
  std::string Commit(const std::string& dir, const std::map<std::string, std::string>& files, const std::string& msg) {
    for (const auto& [file, text] : files) std::ofstream(dir + "/" + file) << text;
    RunResult r = Shell("cd " + dir + " && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm '" +
                        msg + "' && git rev-parse HEAD");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    head_ = r.out.substr(0, 40);
    return "file://" + dir;
  }
  std::string Source(const std::string& ns, const std::string& name, const std::string& url,
                     const std::string& extra = "") {
    return "apiVersion: warren.io/v1alpha1\nkind: WarrenSource\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  repo: " + url + "\n  interval: 1h\n  serviceAccountName: deployer\n" + extra;
  }
  RunResult Apply(const std::string& name, const std::string& yaml) {
    return emu_->Kubectl("apply -f " + WriteTemp(name + ".yaml", yaml));
  }
  std::unique_ptr<AgentProcess> Run(const std::string& name) {
    return std::make_unique<AgentProcess>(emu_->dir() + "/" + name + ".log",
                                          std::vector<std::string>{"--watch-sources", "--state-dir", state_},
                                          std::vector<std::string>{"KUBECONFIG=" + emu_->kubeconfig()});
  }
  // The condition `type` of WarrenSource ns/name ({} when absent).
  Json Condition(const std::string& ns, const std::string& name, const std::string& type) const {
    Json ws = emu_->KubectlGet("warrensource " + name + " -n " + ns);
    if (!ws.is_object()) return Json::object();
    for (const Json& c : ws.value("status", Json::object()).value("conditions", Json::array()))
      if (c.value("type", "") == type) return c;
    return Json::object();
  }
  std::string Data(const std::string& ns, const std::string& name) const {
    Json cm = emu_->KubectlGet("configmap " + name + " -n " + ns);
    return cm.is_object() ? cm["data"].value("value", "") : "";
  }

  EmulatorProcess* emu_ = nullptr;
  std::string state_, head_;
};

TEST_F(AgentSources, EachSourceIsBoundedByItsServiceAccount) {
  std::string a = Repo("a", {{"app.yaml", ConfigMap("team-a", "app", "a1")}});
  std::string b = Repo(
      "b", {{"app.yaml", ConfigMap("team-b", "app", "b1")}, {"intruder.yaml", ConfigMap("team-a", "intruder", "b")}});
  // a's git credentials come from a Secret (file:// ignores them; what matters is where they go).
  ASSERT_EQ(emu_->Kubectl("create secret generic git -n team-a --from-literal=token=" + std::string(kToken)).exit_code,
            0);
  ASSERT_EQ(Apply("ws-a", Source("team-a", "a", a, "  secretRef: {name: git}\n")).exit_code, 0);
  ASSERT_EQ(Apply("ws-b", Source("team-b", "b", b)).exit_code, 0);
  // b's account may look into team-a (as a "view" role lets it), not write there.
  ASSERT_EQ(Apply("b-views-a", R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: view, namespace: team-a}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: team-b-views, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: view}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: team-b}
)")
                .exit_code,
            0);
  auto agent = Run("agent");
  RunResult wait = emu_->Kubectl("wait --for=condition=Ready warrensource/a -n team-a --timeout=60s");
  ASSERT_EQ(wait.exit_code, 0) << wait.out << agent->Log();
  EXPECT_EQ(Data("team-a", "app"), "a1");
  const std::string token_file = state_ + "/credentials/team-a.a/git-auth";
  EXPECT_EQ(ReadText(token_file), kToken);
  EXPECT_EQ(fs::status(token_file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_FALSE(Has(agent->Log(), kToken));
  EXPECT_FALSE(Has(emu_->Kubectl("get warrensources -A -o yaml").out, kToken));
  // Source b: its write to team-a refused by the API server (in a dry run of the whole commit, before
  // any write), said on the object; nothing of b is applied.
  ASSERT_TRUE(Eventually([&] { return Condition("team-b", "b", "Ready").value("status", "") == "False"; }, 60))
      << agent->Log();
  std::string message = Condition("team-b", "b", "Ready").value("message", "");
  EXPECT_TRUE(Has(message, "ConfigMap team-a/intruder") && Has(message, "403") &&
              Has(message, R"(User "system:serviceaccount:team-b:deployer" cannot patch)"))
      << message;
  EXPECT_EQ(Condition("team-b", "b", "Ready").value("reason", ""), "ApplyFailed");
  EXPECT_TRUE(emu_->KubectlGet("configmap intruder -n team-a").is_null());
  EXPECT_TRUE(emu_->KubectlGet("configmap app -n team-b").is_null()) << agent->Log();
  // Fixed in git: b applies, a was never disturbed.
  Commit(emu_->dir() + "/repos/b", {{"intruder.yaml", ConfigMap("team-b", "intruder", "b")}}, "stay home");
  ASSERT_EQ(emu_->Kubectl("annotate warrensource b -n team-b warren.io/reconcile-requested-at=fixed").exit_code, 0);
  EXPECT_EQ(emu_->Kubectl("wait --for=condition=Ready warrensource/b -n team-b --timeout=60s").exit_code, 0)
      << agent->Log();
  EXPECT_EQ(Data("team-b", "app"), "b1");
  EXPECT_EQ(Data("team-b", "intruder"), "b");
  // Every write of b's went as b's account.
  for (const Json& r : emu_->Log()) {
    if (r["write"].get<bool>() && Has(r.value("path", ""), "/namespaces/team-b/configmaps")) {
      EXPECT_EQ(r.value("user", ""), "system:serviceaccount:team-b:deployer") << r.dump();
    }
  }
  RunResult table = emu_->Kubectl("get warrensources -A");
  EXPECT_TRUE(Has(table.out, "NAMESPACE   NAME   READY   REVISION") && Has(table.out, "team-a      a      True") &&
              Has(table.out, "team-b      b      True"))
      << table.out;
  RunResult describe = emu_->Kubectl("describe warrensource a -n team-a");
  EXPECT_TRUE(Has(describe.out, "Reason:                 ReconciliationSucceeded") &&
              Has(describe.out, "Last Applied Revision:"))
      << describe.out;
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

TEST_F(AgentSources, SuspendReconcileRequestRestartAndDelete) {
  std::string dir = emu_->dir() + "/repos/a";
  std::string a = Repo("a", {{"app.yaml", ConfigMap("team-a", "app", "a1")}});
  const std::string first = head_;
  // Its own commit statuses, the token from a Secret.
  ForgeStub forge(kToken);
  ASSERT_EQ(
      emu_->Kubectl("create secret generic forge -n team-a --from-literal=token=" + std::string(kToken)).exit_code, 0);
  ASSERT_EQ(Apply("ws-a", Source("team-a", "a", a,
                                 "  commitStatus: {provider: github, apiUrl: \"" + forge.url("github") +
                                     "\", repo: team-a/app, secretRef: {name: forge}}\n"))
                .exit_code,
            0);
  auto agent = Run("agent");
  ASSERT_EQ(emu_->Kubectl("wait --for=condition=Ready warrensource/a -n team-a --timeout=60s").exit_code, 0)
      << agent->Log();
  auto synced = [&](const std::string& sha) {  // warren/sync success on sha
    auto states = forge.States(sha, "warren/sync");
    return !states.empty() && states.back() == "success";
  };
  EXPECT_TRUE(Eventually([&] { return synced(first); }, 20)) << agent->Log();
  EXPECT_FALSE(Has(agent->Log(), kToken));

  // Suspended: drift is found and reported, not put back.
  ASSERT_EQ(emu_->Kubectl(R"(patch warrensource a -n team-a --type merge -p '{"spec":{"suspend":true}}')").exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return Has(agent->Log(), "suspended=true"); }, 20)) << agent->Log();
  ASSERT_EQ(emu_->Kubectl(R"(patch configmap app -n team-a --type merge -p '{"data":{"value":"by-hand"}}')").exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return Has(agent->Log(), "drift found (dry run: not corrected)"); }, 20))
      << agent->Log();
  EXPECT_EQ(Data("team-a", "app"), "by-hand");
  RunResult row = emu_->Kubectl("get warrensource a -n team-a --no-headers");
  EXPECT_TRUE(Has(row.out, "true")) << row.out;  // the SUSPENDED column
  RunResult refused = emu_->Warren("reconcile source a -n team-a");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(Has(refused.out, "WarrenSource team-a/a is suspended: resume it first")) << refused.out;

  // Resumed (warren's own helper this time), with the field handed back to git's owner: put back.
  RunResult resumed = emu_->Warren("resume source a -n team-a");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_TRUE(Has(resumed.out, "WarrenSource team-a/a resumed")) << resumed.out;
  ASSERT_EQ(emu_->Kubectl("delete configmap app -n team-a").exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return Data("team-a", "app") == "a1"; }, 20)) << agent->Log();

  // A new commit (the interval is an hour): applied when asked for.
  Commit(dir, {{"app.yaml", ConfigMap("team-a", "app", "a2")}}, "second");
  const std::string second = head_;
  ASSERT_EQ(
      emu_->Kubectl("annotate warrensource a -n team-a warren.io/reconcile-requested-at=first-request --overwrite")
          .exit_code,
      0);
  EXPECT_TRUE(Eventually(
      [&] {
        Json ws = emu_->KubectlGet("warrensource a -n team-a");
        return ws.is_object() && ws["status"].value("lastAppliedRevision", "") == second &&
               ws["status"].value("lastHandledReconcileAt", "") == "first-request";
      },
      20))
      << agent->Log();
  EXPECT_EQ(Data("team-a", "app"), "a2");
  // warren reconcile: asks, waits for the agent's answer, says it.
  Commit(dir, {{"app.yaml", ConfigMap("team-a", "app", "a3")}}, "third");
  RunResult reconciled = emu_->Warren("reconcile source a -n team-a --timeout 60s");
  EXPECT_EQ(reconciled.exit_code, 0) << reconciled.out << agent->Log();
  EXPECT_TRUE(Has(reconciled.out, "WarrenSource team-a/a: Ready True (ReconciliationSucceeded)") &&
              Has(reconciled.out, "applied revision " + head_))
      << reconciled.out;
  EXPECT_EQ(Data("team-a", "app"), "a3");

  // The forge token rotated in its Secret (the forge now refuses the old one): the next commit's
  // statuses are posted with the new token, with no restart.
  const std::string rotated = std::string(kToken) + "-rotated";
  ASSERT_EQ(
      emu_->Kubectl("patch secret forge -n team-a --type merge -p '{\"stringData\":{\"token\":\"" + rotated + "\"}}'")
          .exit_code,
      0);
  forge.SetToken(rotated);
  Commit(dir, {{"app.yaml", ConfigMap("team-a", "app", "a4")}}, "fourth");
  RunResult fourth = emu_->Warren("reconcile source a -n team-a --timeout 60s");
  EXPECT_EQ(fourth.exit_code, 0) << fourth.out << agent->Log();
  EXPECT_TRUE(Eventually([&] { return synced(head_); }, 20)) << agent->Log();
  EXPECT_FALSE(Has(agent->Log(), rotated));

  // The status outlives the agent, and a new one goes on from it (Ready stays True throughout).
  const std::string since = Condition("team-a", "a", "Ready").value("lastTransitionTime", "");
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
  EXPECT_EQ(Condition("team-a", "a", "Ready").value("status", ""), "True");
  agent = Run("agent-2");
  ASSERT_TRUE(Eventually([&] { return Has(agent->Log(), "warrensource started"); }, 20)) << agent->Log();
  ASSERT_TRUE(Eventually([&] { return Has(agent->Log(), "reconciled"); }, 20)) << agent->Log();
  Json ready = Condition("team-a", "a", "Ready");
  EXPECT_EQ(ready.value("status", ""), "True");
  EXPECT_EQ(ready.value("lastTransitionTime", ""), since);

  // Deleted: its loop stops; its objects stay (no prune on deletion).
  ASSERT_EQ(emu_->Kubectl("delete warrensource a -n team-a").exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return Has(agent->Log(), "warrensource deleted"); }, 20)) << agent->Log();
  EXPECT_EQ(Data("team-a", "app"), "a4");
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

TEST_F(AgentSources, DeletingASourceWithPrunePrunesItsObjectsFirst) {
  std::string a = Repo("a", {{"app.yaml", ConfigMap("team-a", "app", "a1")}});
  ASSERT_EQ(Apply("ws-a", Source("team-a", "a", a, "  prune: true\n")).exit_code, 0);
  auto agent = Run("agent");
  ASSERT_EQ(emu_->Kubectl("wait --for=condition=Ready warrensource/a -n team-a --timeout=60s").exit_code, 0)
      << agent->Log();
  ASSERT_TRUE(Eventually(
      [&] {
        return Has(emu_->Kubectl("get warrensource a -n team-a -o jsonpath={.metadata.finalizers}").out,
                   "warren.io/prune");
      },
      20))
      << agent->Log();
  RunResult deleted = emu_->Kubectl("delete warrensource a -n team-a --timeout=60s");
  ASSERT_EQ(deleted.exit_code, 0) << deleted.out << agent->Log();
  EXPECT_TRUE(emu_->KubectlGet("warrensource a -n team-a").is_null());
  EXPECT_TRUE(emu_->KubectlGet("configmap app -n team-a").is_null()) << agent->Log();
  EXPECT_TRUE(Has(agent->Log(), "warrensource deleted: its objects pruned"));
  // Pruned as the source's account, like everything else it wrote.
  bool as_deployer = false;
  for (const Json& r : emu_->Log())
    as_deployer = as_deployer || (r.value("method", "") == "DELETE" && Has(r.value("path", ""), "/configmaps/app") &&
                                  r.value("user", "") == "system:serviceaccount:team-a:deployer");
  EXPECT_TRUE(as_deployer);
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

TEST_F(AgentSources, ASpecTheAgentCannotRunIsStalledNamingTheField) {
  std::string a = Repo("a", {{"app.yaml", ConfigMap("team-a", "app", "a1")}});
  ASSERT_EQ(Apply("ws-a", Source("team-a", "a", a, "  rabbitmq: {urls: [http://127.0.0.1:1], nodeUrls: [\"x\"]}\n"))
                .exit_code,
            0);
  auto agent = Run("agent");
  ASSERT_TRUE(Eventually([&] { return Condition("team-a", "a", "Stalled").value("status", "") == "True"; }, 30))
      << agent->Log();
  Json ready = Condition("team-a", "a", "Ready");
  EXPECT_EQ(ready.value("status", ""), "False");
  EXPECT_EQ(ready.value("reason", ""), "InvalidSpec");
  EXPECT_TRUE(Has(ready.value("message", ""), "WarrenSource team-a/a: spec.rabbitmq.nodeUrls:"))
      << ready.value("message", "");
  // Fixed: it runs.
  ASSERT_EQ(Apply("ws-a", Source("team-a", "a", a)).exit_code, 0);
  EXPECT_EQ(emu_->Kubectl("wait --for=condition=Ready warrensource/a -n team-a --timeout=60s").exit_code, 0)
      << agent->Log();
  EXPECT_TRUE(Condition("team-a", "a", "Stalled").empty());
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

}  // namespace
}  // namespace warren::testing
