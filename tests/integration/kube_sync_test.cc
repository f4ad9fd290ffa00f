// warren sync against the API emulator, through the real binary: an empty cluster filled in order
// and waited for, a second run that writes nothing, drift corrected only with --force-conflicts,
// prune only with --prune and only of warren's objects, a bigger volumeClaimTemplate done without
// losing pods or claims, a roleRef change, a rejected update leaving the inventory intact, and
// dry runs that write nothing.
#include <gtest/gtest.h>

#include "tests/integration/emulator_process.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

class KubeSync : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = &EmulatorProcess::Shared("sync");
    ASSERT_TRUE(emu_->ok());
    dir_ = emu_->dir() + "/desired";
    fs::create_directories(dir_);
    fs::copy(std::string(WARREN_SOURCE_DIR) + "/manifests/kubernetes", dir_, fs::copy_options::recursive);
    Write("namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n");
  }
  void Write(const std::string& file, const std::string& text) { std::ofstream(dir_ + "/" + file) << text; }
  void Edit(const std::string& file, const std::string& from, const std::string& to) {
    ASSERT_TRUE(ReplaceInFile(dir_ + "/" + file, from, to)) << file << " holds no " << from;
  }
  RunResult Sync(const std::string& flags = "") {
    return emu_->Warren("sync " + dir_ + " -n dev --timeout 30 " + flags);
  }
  int Writes() {
    int n = 0;
    for (const Json& r : emu_->Log()) n += r["write"].get<bool>();
    return n;
  }
  Json Get(const std::string& what) { return emu_->KubectlGet(what + " -n dev"); }
  std::set<std::string> Uids(const std::string& kind) {
    std::set<std::string> out;
    Json list = Get(kind);  // (a range-for over Get(kind)["items"] would outlive the temporary)
    for (const Json& i : list["items"]) out.insert(i["metadata"]["uid"].get<std::string>());
    return out;
  }

  EmulatorProcess* emu_ = nullptr;  // shared by the program's tests, reset for each
  std::string dir_;
};

TEST_F(KubeSync, EmptyClusterInOrderReadyThenNothingToWrite) {
  emu_->ClearLog();
  RunResult first = Sync();
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_TRUE(Has(first.out, "8 created, 0 configured")) << first.out;
  std::vector<std::string> order;
  for (const Json& r : emu_->Log())
    if (r["method"] == "PATCH" && r["write"].get<bool>()) {
      std::string path = r["path"];
      std::string kind = path.substr(0, path.rfind('/'));
      order.push_back(kind.substr(kind.rfind('/') + 1));
    }
  // The inventory (the first configmaps) is written ahead, once its namespace exists: a kill
  // after any later write leaves nothing unrecorded. Nothing more to record at the end.
  std::vector<std::string> want = {"namespaces",   "configmaps", "serviceaccounts", "configmaps",  "roles",
                                   "rolebindings", "services",   "services",        "statefulsets"};
  EXPECT_EQ(order, want);
  Json sts = Get("statefulset rabbitmq");
  EXPECT_EQ(sts["status"]["readyReplicas"], 3) << "sync waited for readiness";
  EXPECT_EQ(sts["metadata"]["labels"]["app.kubernetes.io/managed-by"], "warren");

  emu_->ClearLog();
  RunResult second = Sync();
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_TRUE(Has(second.out, "0 created, 0 configured, 0 recreated, 0 pruned, 0 failed, 8 unchanged")) << second.out;
  EXPECT_EQ(Writes(), 0) << emu_->Log().dump(1);
  RunResult diff = emu_->Warren("diff " + dir_ + " -n dev");
  EXPECT_EQ(diff.exit_code, 0) << diff.out;
}

TEST_F(KubeSync, DriftIsCorrectedOnlyWhenConflictsMayBeTakenOver) {
  ASSERT_EQ(Sync().exit_code, 0);
  // Down by hand: putting back a scale-up is a gated scale-down (rollout tests), not this test's subject.
  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=1").exit_code, 0);
  RunResult conflict = Sync();
  EXPECT_EQ(conflict.exit_code, 1) << conflict.out;
  // Not a failed request: someone must decide (exit 1, "needs action", not retried by the agent).
  EXPECT_TRUE(Has(conflict.out,
                  "StatefulSet dev/rabbitmq: needs action: apply StatefulSet dev/rabbitmq: 409 Conflict: Apply "
                  "failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\""))
      << conflict.out;
  EXPECT_TRUE(Has(conflict.out, ", 1 needs action\n")) << conflict.out;
  EXPECT_TRUE(Has(conflict.out, "--force-conflicts")) << conflict.out;

  emu_->ClearLog();
  RunResult dry = Sync("--force-conflicts --dry-run");
  EXPECT_TRUE(Has(dry.out, "StatefulSet dev/rabbitmq: configured (dry run)")) << dry.out;
  EXPECT_EQ(Writes(), 0);

  RunResult forced = Sync("--force-conflicts");
  EXPECT_EQ(forced.exit_code, 0) << forced.out;
  EXPECT_TRUE(Has(forced.out, "StatefulSet dev/rabbitmq: configured")) << forced.out;
  EXPECT_EQ(Get("statefulset rabbitmq")["spec"]["replicas"], 3);
}

// Removal is judged per key warren owns: what the API server (the Namespace's
// kubernetes.io/metadata.name) or another field manager (`kubectl label`, `kubectl annotate`) adds
// to a map is never drift, whether git writes that map or not; a key warren wrote and git dropped is.
TEST_F(KubeSync, KeysOthersAddToLabelsAndAnnotationsAreNeverDrift) {
  Write("plain.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: plain, namespace: dev}\nspec:\n  ports: [{port: 80}]\n");
  ASSERT_EQ(Sync().exit_code, 0);
  EXPECT_EQ(Get("namespace dev")["metadata"]["labels"]["kubernetes.io/metadata.name"], "dev")
      << "as a real server sets it";
  RunResult clean = emu_->Warren("diff " + dir_ + " -n dev");
  EXPECT_EQ(clean.exit_code, 0) << clean.out;

  // Namespace and Service without labels in git, Service and StatefulSet with labels.
  for (const char* what : {"namespace dev", "service plain", "service rabbitmq", "statefulset rabbitmq"}) {
    ASSERT_EQ(emu_->Kubectl("label " + std::string(what) + " -n dev team=messaging").exit_code, 0) << what;
    ASSERT_EQ(emu_->Kubectl("annotate " + std::string(what) + " -n dev owner=ops").exit_code, 0) << what;
  }
  RunResult labelled = emu_->Warren("diff " + dir_ + " -n dev");
  EXPECT_EQ(labelled.exit_code, 0) << labelled.out;
  EXPECT_EQ(Sync().exit_code, 0);

  // git drops a label and an annotation warren wrote: just those two go, the others' keys stay.
  Edit("statefulset.yaml", "  labels:\n    app.kubernetes.io/name: rabbitmq\n  annotations:", "  annotations:");
  Edit("statefulset.yaml", "    warren.io/external-secrets: rabbitmq-credentials\n", "    example.com/note: kept\n");
  RunResult dropped = emu_->Warren("diff " + dir_ + " -n dev");
  EXPECT_EQ(dropped.exit_code, 1) << dropped.out;
  EXPECT_TRUE(Has(dropped.out, ".metadata.labels.app.kubernetes.io/name: \"rabbitmq\" → (removed)")) << dropped.out;
  EXPECT_TRUE(
      Has(dropped.out, ".metadata.annotations.warren.io/external-secrets: \"rabbitmq-credentials\" → (removed)"))
      << dropped.out;
  EXPECT_FALSE(Has(dropped.out, "team")) << dropped.out;
  EXPECT_FALSE(Has(dropped.out, "owner")) << dropped.out;
  EXPECT_FALSE(Has(dropped.out, "Namespace")) << dropped.out;
  ASSERT_EQ(Sync().exit_code, 0);
  Json meta = Get("statefulset rabbitmq")["metadata"];
  EXPECT_FALSE(meta["labels"].contains("app.kubernetes.io/name")) << meta.dump();
  EXPECT_EQ(meta["labels"]["team"], "messaging");
  EXPECT_EQ(meta["annotations"]["owner"], "ops");
  EXPECT_FALSE(meta["annotations"].contains("warren.io/external-secrets")) << meta.dump();
  RunResult after = emu_->Warren("diff " + dir_ + " -n dev");
  EXPECT_EQ(after.exit_code, 0) << after.out;
}

TEST_F(KubeSync, PruneOnlyWithTheFlagAndOnlyWhatWarrenApplied) {
  Write("extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: dev}\ndata: {a: b}\n");
  ASSERT_EQ(Sync().exit_code, 0);
  // Someone else's object, even with warren's label, is not in the inventory.
  std::string theirs = WriteTemp("theirs.yaml",
                                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: theirs, namespace: dev, labels: "
                                 "{app.kubernetes.io/managed-by: warren}}\n");
  ASSERT_EQ(emu_->Kubectl("apply --server-side -f " + theirs).exit_code, 0);
  fs::remove(dir_ + "/extra.yaml");

  // diff gives sync's answer: the inventory's object to prune, not the labelled stranger.
  RunResult diff = emu_->Warren("diff " + dir_ + " -n dev");
  EXPECT_EQ(diff.exit_code, 1) << diff.out;
  EXPECT_TRUE(Has(diff.out, "ConfigMap dev/extra")) << diff.out;
  EXPECT_FALSE(Has(diff.out, "ConfigMap dev/theirs")) << diff.out;
  EXPECT_TRUE(Has(diff.out, "1 to prune")) << diff.out;

  // Prune off: left in place is the user's choice, so the sync is in sync (exit 0) and says so.
  RunResult no_flag = Sync();
  EXPECT_EQ(no_flag.exit_code, 0) << no_flag.out;
  EXPECT_TRUE(Has(no_flag.out, "ConfigMap dev/extra: left in place: removed from git; prune is off")) << no_flag.out;
  EXPECT_TRUE(Has(no_flag.out, "in sync; 1 object removed from git left in place: ConfigMap dev/extra — prune is off"))
      << no_flag.out;
  EXPECT_FALSE(Get("configmap extra").is_null());

  emu_->ClearLog();
  RunResult dry = Sync("--prune --dry-run");
  EXPECT_TRUE(Has(dry.out, "ConfigMap dev/extra: pruned (dry run)")) << dry.out;
  EXPECT_EQ(Writes(), 0);

  RunResult pruned = Sync("--prune");
  EXPECT_EQ(pruned.exit_code, 0) << pruned.out;
  EXPECT_TRUE(Has(pruned.out, "ConfigMap dev/extra: pruned")) << pruned.out;
  EXPECT_TRUE(Get("configmap extra").is_null());
  EXPECT_FALSE(Get("configmap theirs").is_null()) << "not warren's: never pruned";
  std::string inventory = emu_->Kubectl("get configmap warren-inventory -n dev -o jsonpath={.data.objects}").out;
  EXPECT_TRUE(Has(inventory, "rabbitmq-config")) << inventory;
  EXPECT_FALSE(Has(inventory, "\"extra\"")) << "pruned, so forgotten: " << inventory;
}

TEST_F(KubeSync, BiggerVolumeClaimTemplateKeepsPodsAndClaims) {
  ASSERT_EQ(Sync().exit_code, 0);
  std::set<std::string> pods = Uids("pods"), claims = Uids("pvc");
  ASSERT_EQ(pods.size(), 3u);
  ASSERT_EQ(claims.size(), 3u);
  Edit("statefulset.yaml", "storage: 5Gi", "storage: 10Gi");

  emu_->ClearLog();
  RunResult dry = Sync("--dry-run");
  EXPECT_TRUE(Has(dry.out, "StatefulSet dev/rabbitmq: recreated (dry run): would orphan its pods and claims"))
      << dry.out;
  EXPECT_EQ(Writes(), 0);

  RunResult r = Sync();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(Has(r.out, "StatefulSet dev/rabbitmq: recreated: pods and claims kept and adopted; 3 claim(s) expanded"))
      << r.out;
  EXPECT_EQ(Uids("pods"), pods) << "the same pods, adopted";
  EXPECT_EQ(Uids("pvc"), claims) << "the same claims";
  Json claims_now = Get("pvc");
  for (const Json& c : claims_now["items"]) EXPECT_EQ(c["spec"]["resources"]["requests"]["storage"], "10Gi");
  EXPECT_EQ(Get("statefulset rabbitmq")["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
            "10Gi");
  EXPECT_EQ(emu_->Warren("diff " + dir_ + " -n dev").exit_code, 0);
}

// A StatefulSet whose new spec the API server would refuse is not deleted to be re-created.
TEST_F(KubeSync, AMisshapenStatefulSetIsNotDeleted) {
  ASSERT_EQ(Sync().exit_code, 0);
  std::string uid = Get("statefulset rabbitmq")["metadata"]["uid"];
  Write("statefulset.yaml",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: rabbitmq, namespace: dev}\nspec: \"3\"\n");
  RunResult r = Sync();
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(
      Has(r.out, "StatefulSet dev/rabbitmq: failed: not re-created, nothing deleted: /spec is a string, not a mapping"))
      << r.out;
  EXPECT_EQ(Get("statefulset rabbitmq")["metadata"]["uid"], uid);
}

TEST_F(KubeSync, RoleRefChangeIsDeleteAndCreate) {
  Write("role-b.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: peer-discovery-b, namespace: dev}\n"
        "rules: [{apiGroups: [\"\"], resources: [endpoints], verbs: [get]}]\n");
  ASSERT_EQ(Sync().exit_code, 0);
  std::string rbac = ReadText(dir_ + "/rbac.yaml");
  size_t at = rbac.find("name: rabbitmq-peer-discovery", rbac.find("roleRef"));
  rbac.replace(at, std::string("name: rabbitmq-peer-discovery").size(), "name: peer-discovery-b");
  Write("rbac.yaml", rbac);
  RunResult r = Sync();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(Has(r.out, "RoleBinding dev/rabbitmq-peer-discovery: recreated")) << r.out;
  EXPECT_EQ(Get("rolebinding rabbitmq-peer-discovery")["roleRef"]["name"], "peer-discovery-b");
}

TEST_F(KubeSync, RejectedUpdateLeavesTheInventoryIntact) {
  ASSERT_EQ(Sync().exit_code, 0);
  std::string before = emu_->Kubectl("get configmap warren-inventory -n dev -o jsonpath={.data.objects}").out;
  ASSERT_TRUE(Has(before, "StatefulSet")) << before;
  // Template labels that no longer match the selector: the API server refuses the update.
  Edit("statefulset.yaml", "      labels:\n        app.kubernetes.io/name: rabbitmq",
       "      labels:\n        app.kubernetes.io/name: other");
  RunResult r = Sync();
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(Has(r.out, "StatefulSet dev/rabbitmq: failed: apply StatefulSet dev/rabbitmq: 422 Invalid")) << r.out;
  EXPECT_TRUE(Has(r.out, "`selector` does not match template `labels`")) << r.out;
  EXPECT_EQ(emu_->Kubectl("get configmap warren-inventory -n dev -o jsonpath={.data.objects}").out, before);
}

// deploy/rbac.yaml is what warren's own ServiceAccount needs, no more: without it the sync is
// refused naming the permission; with it a full sync and diff of the reference manifests work.
TEST(KubeSyncRbac, WarrensServiceAccountNeedsDeployRbac) {
  EmulatorProcess emu("deploy-rbac", {"--token", "warren-sa-token=system:serviceaccount:warren:warren"});
  ASSERT_TRUE(emu.ok());
  std::string dir = emu.dir() + "/desired";
  fs::create_directories(dir);
  fs::copy(std::string(WARREN_SOURCE_DIR) + "/manifests/kubernetes", dir, fs::copy_options::recursive);
  std::ofstream(dir + "/namespace.yaml") << "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n";
  std::string as_warren = " -n dev --timeout 30 --context warren-warren";

  RunResult refused = emu.Warren("sync " + dir + as_warren);
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_TRUE(Has(refused.out, "403 Forbidden")) << refused.out;
  EXPECT_TRUE(Has(refused.out, "(warren's RBAC needs \"")) << refused.out;
  EXPECT_FALSE(Has(refused.out, "warren-sa-token"));

  ASSERT_EQ(emu.Kubectl("create namespace dev").exit_code == 0 ||
                emu.Kubectl("apply --server-side -f " + dir + "/namespace.yaml").exit_code == 0,
            true);
  RunResult rbac = emu.Kubectl("apply --server-side -f " + std::string(WARREN_SOURCE_DIR) +
                               "/deploy/namespace.yaml -f " + std::string(WARREN_SOURCE_DIR) + "/deploy/rbac.yaml");
  ASSERT_EQ(rbac.exit_code, 0) << rbac.out;
  RunResult sync = emu.Warren("sync " + dir + as_warren);
  EXPECT_EQ(sync.exit_code, 0) << sync.out;
  EXPECT_TRUE(Has(sync.out, "StatefulSet dev/rabbitmq: created")) << sync.out;
  RunResult diff = emu.Warren("diff " + dir + " -n dev --context warren-warren");
  EXPECT_EQ(diff.exit_code, 0) << diff.out;
}

// One prune answer: an inventory entry whose kind the cluster does not serve is an error in diff,
// as it is a failure in sync, never "nothing there to prune".
TEST_F(KubeSync, AnInventoryKindTheClusterDoesNotServeIsNamedByDiffAndSync) {
  ASSERT_EQ(Sync().exit_code, 0);
  Json inventory = Json::parse(emu_->Kubectl("get configmap warren-inventory -n dev -o jsonpath={.data.objects}").out);
  inventory.push_back({{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"namespace", "dev"}, {"name", "w"}});
  std::string patch = WriteTemp("inventory-patch.json", Json{{"data", {{"objects", inventory.dump()}}}}.dump());
  RunResult patched = emu_->Kubectl("patch configmap warren-inventory -n dev --type merge --patch-file " + patch);
  ASSERT_EQ(patched.exit_code, 0) << patched.out;

  RunResult diff = emu_->Warren("diff " + dir_ + " -n dev");
  EXPECT_EQ(diff.exit_code, 2) << diff.out;
  EXPECT_TRUE(Has(diff.out, "prune candidate Widget dev/w")) << diff.out;
  RunResult sync = Sync("--prune");
  EXPECT_EQ(sync.exit_code, 1) << sync.out;
  EXPECT_TRUE(Has(sync.out, "Widget dev/w: failed")) << sync.out;
}

}  // namespace
}  // namespace warren::testing
