// The fault matrix of `warren sync`: the emulator answers 500, 503, 429 with Retry-After, 401,
// a dropped connection or an answer slower than the request timeout, on each verb sync uses
// (GET, PATCH for server-side apply, DELETE for prune) and on warren's inventory.
// Each case is one sync of the reference manifests (or a prune) with the fault in place:
// - a transient fault is retried through: exit 0, the fault used up, diff clean afterwards;
// - a lasting one is an error that names the object and the cause, exit 1, never 0;
// and in every case: each live object carrying warren's label is in the inventory, and a plain
// re-run without the fault converges.
#include <gtest/gtest.h>

#include <set>

#include "tests/integration/emulator_process.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

struct FaultCase {
  std::string name;
  bool prune;         // false: fill an empty cluster; true: prune a ConfigMap dropped from git
  std::string fault;  // the JSON posted to /emulator/faults
  int exit_code;      // 0: retried through; 1: the sync did not converge
  std::string says;   // in the output (for a failure: the object and the cause)
};

std::ostream& operator<<(std::ostream& os, const FaultCase& c) { return os << c.name; }

std::string Fault(const std::string& method, const std::string& path, const std::string& rest) {
  return R"({"method":")" + method + R"(","pathPrefix":")" + path + "\"," + rest + "}";
}

const std::string kSts = "/apis/apps/v1/namespaces/dev/statefulsets";
const std::string kConfigMaps = "/api/v1/namespaces/dev/configmaps";
const std::string kServices = "/api/v1/namespaces/dev/services";
const std::string kRbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/";
const std::string kInventory = kConfigMaps + "/warren-inventory";
const std::string kExtra = kConfigMaps + "/extra";
const std::string kAll = "8 created", kPruned = "ConfigMap dev/extra: pruned";

const FaultCase kCases[] = {
    // Retried through.
    {"Get500Twice", false, Fault("GET", kSts, R"("status":500,"times":2)"), 0, kAll},
    {"Get503Twice", false, Fault("GET", kConfigMaps, R"("status":503,"times":2)"), 0, kAll},
    {"Get429WithRetryAfter", false, Fault("GET", kServices, R"("status":429,"retryAfterSeconds":1,"times":1)"), 0,
     kAll},
    {"Patch500Twice", false, Fault("PATCH", kSts, R"("status":500,"times":2)"), 0, kAll},
    {"Patch503Twice", false, Fault("PATCH", kServices, R"("status":503,"times":2)"), 0, kAll},
    {"Patch429WithRetryAfter", false,
     Fault("PATCH", kRbac + "roles", R"("status":429,"retryAfterSeconds":1,"times":1)"), 0, kAll},
    {"PatchConnectionDropped", false, Fault("PATCH", kConfigMaps + "/rabbitmq-config", R"("drop":true,"times":1)"), 0,
     kAll},
    {"DiscoveryConnectionDropped", false, Fault("GET", "/apis", R"("drop":true,"times":1)"), 0, kAll},
    {"PatchSlowerThanTheRequestTimeout", false,
     Fault("PATCH", "/api/v1/namespaces/dev/serviceaccounts", R"("latencyMs":2500,"times":1)"), 0, kAll},
    {"Patch401OnceAsAnExpiredToken", false, Fault("PATCH", kRbac + "rolebindings", R"("status":401,"times":1)"), 0,
     kAll},
    {"Delete503Twice", true, Fault("DELETE", kExtra, R"("status":503,"times":2)"), 0, kPruned},
    {"Delete429WithRetryAfter", true, Fault("DELETE", kExtra, R"("status":429,"retryAfterSeconds":1,"times":1)"), 0,
     kPruned},
    // Lasting: an error naming the object and the cause.
    {"Patch500Always", false, Fault("PATCH", kSts, R"("status":500,"times":-1)"), 1,
     "StatefulSet dev/rabbitmq: failed: apply StatefulSet dev/rabbitmq: 500 InternalError: injected fault"},
    {"PatchConnectionAlwaysDropped", false, Fault("PATCH", kServices + "/rabbitmq", R"("drop":true,"times":-1)"), 1,
     "Service dev/rabbitmq: failed: apply Service dev/rabbitmq: cannot reach the Kubernetes API"},
    {"GetAlwaysSlowerThanTheRequestTimeout", false, Fault("GET", kConfigMaps, R"("latencyMs":1500,"times":-1)"), 1,
     "failed: read ConfigMap dev/rabbitmq-config: cannot reach the Kubernetes API at https://127.0.0.1:"},
    {"Patch401Always", false, Fault("PATCH", kRbac + "roles", R"("status":401,"times":-1)"), 1,
     "Role dev/rabbitmq-peer-discovery: failed: apply Role dev/rabbitmq-peer-discovery: 401 Unauthorized"},
    {"Discovery503Always", false, Fault("GET", "/apis", R"("status":503,"times":-1)"), 1,
     "failed: read StatefulSet dev/rabbitmq: discovery GET /apis: 503 ServiceUnavailable: injected fault"},
    // A read that fails while waiting for readiness is a failure, never taken for "ready".
    {"GetFailsWhileWaitingForReadiness", false, Fault("GET", kSts + "/rabbitmq", R"("status":500,"times":-1,"skip":1)"),
     1,
     "StatefulSet dev/rabbitmq: failed: cannot wait for readiness: read StatefulSet dev/rabbitmq: 500 InternalError: "
     "injected fault"},
    {"EndpointsUnreadableWhileWaitingForReadiness", false,
     Fault("GET", "/api/v1/namespaces/dev/endpoints", R"("status":500,"times":-1)"), 1,
     "Service dev/rabbitmq: failed: cannot wait for readiness: read Endpoints dev/rabbitmq: 500 InternalError: "
     "injected fault"},
    {"InventoryUnreadable", false, Fault("GET", kInventory, R"("status":500,"times":-1)"), 1,
     "read warren's inventory: GET ConfigMap dev/warren-inventory: 500 InternalError: injected fault"},
    {"InventoryUnwritableBeforeTheFirstWrite", false, Fault("PATCH", kInventory, R"("status":500,"times":-1)"), 1,
     "not applied: record the inventory first: "},
    {"InventoryUnwritableAfterAPrune", true, Fault("PATCH", kInventory, R"("status":500,"times":-1)"), 1,
     "ConfigMap dev/warren-inventory: failed: record the inventory: "},
    {"Delete500Always", true, Fault("DELETE", kExtra, R"("status":500,"times":-1)"), 1,
     "(kept in the inventory, retried next time)"},
};

class SyncFaults : public ::testing::TestWithParam<FaultCase> {
 protected:
  void SetUp() override {
    emu_ = &EmulatorProcess::Shared("faults");
    ASSERT_TRUE(emu_->ok());
    dir_ = emu_->dir() + "/desired";
    fs::create_directories(dir_);
    fs::copy(std::string(WARREN_SOURCE_DIR) + "/manifests/kubernetes", dir_, fs::copy_options::recursive);
    std::ofstream(dir_ + "/namespace.yaml") << "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n";
  }

  // --request-timeout 1s: the slow answers (1.5 s, 2.5 s) are past it; retries stay quick.
  RunResult Sync(const std::string& flags = "") {
    return emu_->Warren("sync " + dir_ + " -n dev --timeout 60s --request-timeout 1s " + flags);
  }
  std::set<std::string> Labelled() {
    RunResult r = emu_->Kubectl(
        "get configmaps,services,serviceaccounts,roles,rolebindings,statefulsets -n dev "
        "-l app.kubernetes.io/managed-by=warren -o json");
    std::set<std::string> out;
    Json list = Json::parse(r.out, nullptr, false);
    if (!list.is_object()) ADD_FAILURE() << r.out;
    for (const Json& i : list.is_object() ? list["items"] : Json::array()) {
      std::string key = i["kind"].get<std::string>() + "/" + i["metadata"]["name"].get<std::string>();
      if (key != "ConfigMap/warren-inventory") out.insert(key);
    }
    return out;
  }
  std::string Inventory() {
    return emu_->Kubectl("get configmap warren-inventory -n dev -o jsonpath={.data.objects}").out;
  }

  EmulatorProcess* emu_ = nullptr;  // shared by the program's tests, reset for each
  std::string dir_;
};

TEST_P(SyncFaults, RetriedOrReportedNeverSilentNothingForgotten) {
  const FaultCase& c = GetParam();
  std::string prune_flag;
  if (c.prune) {
    std::ofstream(dir_ + "/extra.yaml")
        << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: dev}\ndata: {a: b}\n";
    ASSERT_EQ(Sync().exit_code, 0);
    fs::remove(dir_ + "/extra.yaml");
    prune_flag = "--prune";
  }
  emu_->ClearLog();
  emu_->Admin("POST", "/emulator/faults", c.fault);

  RunResult r = Sync(prune_flag);
  EXPECT_EQ(r.exit_code, c.exit_code) << r.out;
  EXPECT_TRUE(Has(r.out, c.says)) << "want \"" << c.says << "\" in:\n" << r.out;
  if (c.exit_code == 0) {
    EXPECT_EQ(emu_->Admin("GET", "/emulator/faults")["faults"], 0) << "the fault was met as often as it was set";
    RunResult diff = emu_->Warren("diff " + dir_ + " -n dev");
    EXPECT_EQ(diff.exit_code, 0) << "exit 0 means everything applied:\n" << diff.out;
  }
  emu_->Admin("DELETE", "/emulator/faults");  // (kubectl must read what the sync left)
  // Whatever happened, nothing warren applied is missing from the inventory...
  std::string inventory = Inventory();
  for (const std::string& k : Labelled()) {
    std::string kind = k.substr(0, k.find('/')), name = k.substr(k.find('/') + 1);
    EXPECT_TRUE(Has(inventory, "\"kind\":\"" + kind + "\",\"name\":\"" + name + "\"")) << k << " not in " << inventory;
  }
  if (c.name == "InventoryUnreadable" || c.name == "InventoryUnwritableBeforeTheFirstWrite") {
    for (const Json& req : emu_->Log()) {
      if (req["write"].get<bool>()) {
        EXPECT_TRUE(!Has(req["path"].get<std::string>(), "/namespaces/dev/") || req["path"] == kInventory)
            << "nothing but the Namespace may be written: " << req.dump();
      }
    }
  }
  if (c.name == "Delete500Always") {
    EXPECT_TRUE(Has(inventory, "\"name\":\"extra\"")) << "a failed prune stays recorded: " << inventory;
  }

  // ...and with the fault gone, a plain re-run converges.
  RunResult again = Sync(prune_flag);
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(emu_->Warren("diff " + dir_ + " -n dev").exit_code, 0);
  EXPECT_FALSE(Has(Inventory(), "\"name\":\"extra\"")) << "pruned, so forgotten";
}

INSTANTIATE_TEST_SUITE_P(Matrix, SyncFaults, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<FaultCase>& param) { return param.param.name; });

}  // namespace
}  // namespace warren::testing
