// Kustomize through the real binary and the real `kubectl kustomize`: the base and two overlays of
// tests/fixtures/kustomize linted with findings naming the file an object came from, synced to
// the emulator and diffed clean, a configMapGenerator change rolling the hash-suffixed ConfigMap
// (the old one pruned), an overlay built from a git commit whose base lies outside --path, and
// the errors when the build cannot run or fails.
#include <gtest/gtest.h>

#include "tests/integration/emulator_process.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

class Kustomize : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = &EmulatorProcess::Shared("kustomize");
    ASSERT_TRUE(emu_->ok());
    repo_ = emu_->dir() + "/repo";
    fs::copy(std::string(WARREN_SOURCE_DIR) + "/tests/fixtures/kustomize", repo_, fs::copy_options::recursive);
    // warren's temporary build directories go here, so the test can see that none is left.
    tmp_ = emu_->dir() + "/tmp";
    fs::create_directories(tmp_);
  }
  void Write(const std::string& file, const std::string& text) { std::ofstream(repo_ + "/" + file) << text; }
  void Edit(const std::string& file, const std::string& from, const std::string& to) {
    ASSERT_TRUE(ReplaceInFile(repo_ + "/" + file, from, to)) << file << " holds no " << from;
  }
  RunResult Warren(const std::string& args) {
    return Shell("KUBECONFIG=" + emu_->kubeconfig() + " TMPDIR=" + tmp_ + " " + WARREN_BINARY + " " + args);
  }
  Json Get(const std::string& what) { return emu_->KubectlGet(what); }
  std::vector<std::string> Names(const std::string& what) {
    std::vector<std::string> out;
    Json list = Get(what);
    for (const Json& i : list["items"]) out.push_back(i["metadata"]["name"]);
    return out;
  }
  bool TmpIsEmpty() { return fs::is_empty(tmp_); }

  EmulatorProcess* emu_ = nullptr;  // shared by the program's tests, reset for each
  std::string repo_, tmp_;
};

TEST_F(Kustomize, LintBuildsTheOverlayAndNamesTheFileAnObjectCameFrom) {
  RunResult clean = Warren("lint " + repo_ + "/overlays/dev");
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_TRUE(Has(clean.out, "0 error(s)")) << clean.out;

  // A patch in the overlay points the binding at a Role nobody defines.
  Write("overlays/dev/binding.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rabbitmq-peer-discovery}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: missing}\n");
  Edit("overlays/dev/kustomization.yaml", "- path: replicas.yaml", "- path: replicas.yaml\n- path: binding.yaml");
  RunResult broken = Warren("lint " + repo_ + "/overlays/dev");
  EXPECT_EQ(broken.exit_code, 1) << broken.out;
  // The object as built (namespace and prefix applied), placed in the base file that declared it.
  EXPECT_TRUE(Has(broken.out, "base/rbac.yaml:15: error [missing-role] RoleBinding dev/dev-rabbitmq-peer-discovery"))
      << broken.out;
  EXPECT_FALSE(Has(broken.out, "config.kubernetes.io/origin")) << broken.out;
  EXPECT_FALSE(Has(broken.out, tmp_)) << broken.out;
  EXPECT_TRUE(TmpIsEmpty());
}

TEST_F(Kustomize, WhenTheBuildCannotRunOrFailsTheErrorSaysWhyAndExitsTwo) {
  RunResult missing = Warren("lint " + repo_ + "/overlays/dev --kustomize-command /nonexistent/kustomize");
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_TRUE(Has(missing.out, "the kustomize command /nonexistent/kustomize was not found")) << missing.out;

  RunResult no_path = Shell("env PATH=/nonexistent " + std::string(WARREN_BINARY) + " lint " + repo_ + "/overlays/dev");
  EXPECT_EQ(no_path.exit_code, 2) << no_path.out;
  EXPECT_TRUE(Has(no_path.out, "building a kustomization needs kustomize or kubectl on PATH")) << no_path.out;

  Edit("overlays/prod/kustomization.yaml", "- namespace.yaml", "- namespace.yaml\n- not-there.yaml");
  RunResult failed = Warren("diff " + repo_ + "/overlays/prod");
  EXPECT_EQ(failed.exit_code, 2) << failed.out;
  EXPECT_TRUE(Has(failed.out, "build the kustomization in " + repo_ + "/overlays/prod (kubectl kustomize): exit 1"))
      << failed.out;
  EXPECT_TRUE(Has(failed.out, "not-there.yaml")) << failed.out;
  EXPECT_EQ(emu_->Kubectl("get namespace prod").exit_code, 1) << "nothing applied";
  EXPECT_TRUE(TmpIsEmpty());
}

TEST_F(Kustomize, SyncThenDiffIsCleanAndAGeneratorChangeRollsTheConfigMap) {
  RunResult sync = Warren("sync " + repo_ + "/overlays/dev --timeout 30s");
  ASSERT_EQ(sync.exit_code, 0) << sync.out;
  std::vector<std::string> configmaps = Names("configmaps -n dev -l environment=dev");
  ASSERT_EQ(configmaps.size(), 1u) << sync.out;
  std::string first = configmaps[0];
  EXPECT_EQ(first.rfind("dev-rabbitmq-config-", 0), 0u) << first;
  Json sts = Get("statefulset dev-rabbitmq -n dev");
  EXPECT_EQ(sts["spec"]["replicas"], 1) << "the overlay's patch";
  EXPECT_EQ(sts["spec"]["template"]["spec"]["containers"][0]["image"], "rabbitmq:3.13.7-management");
  EXPECT_EQ(sts["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"], first);
  EXPECT_EQ(sts["metadata"]["labels"]["environment"], "dev");
  EXPECT_FALSE(sts["metadata"].contains("annotations") &&
               sts["metadata"]["annotations"].contains("config.kubernetes.io/origin"))
      << "warren's origin annotation never reaches the cluster";

  // No -n: the inventory goes where all the objects are, not to the context's namespace.
  EXPECT_EQ(emu_->Kubectl("get configmap warren-inventory -n dev").exit_code, 0);
  EXPECT_EQ(emu_->Kubectl("get configmap warren-inventory -n default").exit_code, 1);

  RunResult diff = Warren("diff " + repo_ + "/overlays/dev");
  EXPECT_EQ(diff.exit_code, 0) << diff.out;

  // New generator content: a new name; the StatefulSet follows it; the old ConfigMap is pruned.
  Edit("overlays/dev/kustomization.yaml", "log.console.level=debug", "log.console.level=info");
  RunResult drift = Warren("diff " + repo_ + "/overlays/dev");
  EXPECT_EQ(drift.exit_code, 1) << drift.out;
  EXPECT_TRUE(Has(drift.out, "+ ConfigMap dev/dev-rabbitmq-config-")) << drift.out;
  EXPECT_TRUE(Has(drift.out, "~ StatefulSet dev/dev-rabbitmq")) << drift.out;
  EXPECT_TRUE(Has(drift.out, "- ConfigMap dev/" + first + "  (prune")) << drift.out;

  RunResult roll = Warren("sync " + repo_ + "/overlays/dev --prune --timeout 30s");
  ASSERT_EQ(roll.exit_code, 0) << roll.out;
  configmaps = Names("configmaps -n dev -l environment=dev");
  ASSERT_EQ(configmaps.size(), 1u) << roll.out;
  EXPECT_NE(configmaps[0], first);
  EXPECT_EQ(Get("statefulset dev-rabbitmq -n dev")["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"],
            configmaps[0]);
  EXPECT_EQ(Warren("diff " + repo_ + "/overlays/dev").exit_code, 0);
  EXPECT_TRUE(TmpIsEmpty());
}

TEST_F(Kustomize, AnOverlayInAGitCommitIsBuiltWithItsBaseOutsideThePath) {
  RunResult init = Shell("cd " + repo_ +
                         " && git init -q -b main . && git add -A && "
                         "git -c user.name=t -c user.email=t@example.com commit -qm overlays");
  ASSERT_EQ(init.exit_code, 0) << init.out;
  std::string flags = " --repo file://" + repo_ + " --path overlays/prod --cache-dir " + emu_->dir() + "/cache-git";
  RunResult sync = Warren("sync" + flags + " --timeout 30s");
  ASSERT_EQ(sync.exit_code, 0) << sync.out;
  EXPECT_TRUE(Has(sync.out, "source: file://" + repo_ + " main at commit ")) << sync.out;
  Json sts = Get("statefulset rabbitmq -n prod");
  EXPECT_EQ(sts["spec"]["replicas"], 3);
  EXPECT_EQ(sts["spec"]["template"]["spec"]["containers"][0]["image"],
            "registry.example.com/rabbitmq:3.13.7-management");
  EXPECT_FALSE(sts["spec"]["selector"]["matchLabels"].contains("environment")) << "includeSelectors: false";
  EXPECT_EQ(Warren("diff" + flags).exit_code, 0);
  EXPECT_TRUE(TmpIsEmpty()) << "the commit written out for kustomize is removed";
}

}  // namespace
}  // namespace warren::testing
