// Broker-aware rollout on the real parts: the API emulator whose pods are the real 3-node
// RabbitMQ cluster (--pod-hook tests/scripts/rabbitmq-pod-hook.sh: deleting pod N stops node N+1's
// RabbitMQ app, creating it starts the app again, Ready = the node's AMQP port accepts), and
// `warren sync` rolling a RabbitMQ StatefulSet pod by pod. A sampler watches the broker all along.
#include <signal.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/integration/emulator_process.h"
#include "tests/integration/rabbit_cluster.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

const std::string kHook = std::string(WARREN_SOURCE_DIR) + "/tests/scripts/rabbitmq-pod-hook.sh";

std::string Manifests(const std::string& roll, int replicas = 3) {
  return "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n---\n"
         "apiVersion: v1\nkind: Service\nmetadata: {name: rabbitmq-nodes, namespace: dev}\n"
         "spec:\n  clusterIP: None\n  selector: {app: rabbitmq}\n  ports: [{name: amqp, port: 5672}]\n---\n"
         "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: rabbitmq, namespace: dev}\nspec:\n"
         "  serviceName: rabbitmq-nodes\n  replicas: " +
         std::to_string(replicas) +
         "\n  podManagementPolicy: Parallel\n  selector: {matchLabels: {app: rabbitmq}}\n"
         "  template:\n    metadata: {labels: {app: rabbitmq}}\n    spec:\n      containers:\n"
         "      - name: rabbitmq\n        image: rabbitmq:3.10.8-management\n"
         "        env: [{name: ROLL, value: \"" +
         roll + "\"}]\n";
}

class RolloutEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    hooks_ = (fs::temp_directory_path() / ("warren-pod-hook-" + std::to_string(getpid()))).string();
    fs::create_directories(hooks_);
    setenv("WARREN_POD_HOOK_DIR", hooks_.c_str(), 1);  // the emulator (and its hook) inherit it
    setenv("RABBITMQ_USERNAME", "guest", 1);           // warren's: guest may log in from loopback
    setenv("RABBITMQ_PASSWORD", "guest", 1);
  }
  static void TearDownTestSuite() { fs::remove_all(hooks_); }

  void SetUp() override {
    emu_ = &EmulatorProcess::Shared("rollout", {"--pod-hook", kHook});
    ASSERT_TRUE(emu_->ok());
    for (int n = 1; n <= 3; ++n) Ctl(n, "start_app");  // whatever an earlier test left stopped
    Clean();
    urls_ = ClusterUrls();
    dir_ = ManifestDir("rollout", {{"rabbitmq.yaml", Manifests("1")}});
    RunResult first = Sync();
    ASSERT_EQ(first.exit_code, 0) << first.out;
    (void)Admin().Delete("/api/global-parameters/warren-inventory");
    for (const auto& e : fs::directory_iterator(hooks_)) fs::remove(e.path());
  }
  void TearDown() override {
    for (int n = 1; n <= 3; ++n) Ctl(n, "start_app");
    Clean();
  }
  static void Clean() {
    for (const char* q : {"ro.qq", "ro.ha", "ro.two"}) (void)Admin().Delete("/api/queues/%2F/" + std::string(q));
    (void)Admin().Delete("/api/policies/%2F/ro-ha");
  }
  std::string Url(int node) const {  // node 1..3
    std::string rest = urls_;
    for (int i = 1; i < node; ++i) rest = rest.substr(rest.find(',') + 1);
    return rest.substr(0, rest.find(','));
  }
  std::string NodeFlags(const std::string& override_2 = "") const {
    return " --rabbitmq-url " + Url(1) + " --rabbitmq-node-url 0=" + Url(1) + " --rabbitmq-node-url 1=" + Url(2) +
           " --rabbitmq-node-url 2=" + (override_2.empty() ? Url(3) : override_2);
  }
  RunResult Sync(const std::string& extra = "", const std::string& override_2 = "") {
    std::string timeout = extra.find("--timeout") == std::string::npos ? " --timeout 60s " : " ";
    return emu_->Warren("sync " + dir_ + NodeFlags(override_2) + timeout + extra);
  }
  std::string Command(const std::string& extra = "") const {
    return "KUBECONFIG=" + emu_->kubeconfig() + " " + WARREN_BINARY + " sync " + dir_ + NodeFlags() +
           " --timeout 60s " + extra;
  }
  // warren sync in the background, killed (SIGKILL) once the pod hook has logged `line`; its
  // output is in first.out.
  RunResult SyncKilledAfter(const std::string& line) const {
    return Shell("(" + Command() + " > " + hooks_ + "/first.out 2>&1 & echo $! > " + hooks_ +
                 "/pid; wait) & for i in $(seq 600); do grep -q '" + line + "' " + hooks_ +
                 "/log 2>/dev/null && break; sleep 0.1; done; kill -9 $(cat " + hooks_ + "/pid)");
  }
  void Template(const std::string& roll, int replicas = 3) {
    std::ofstream(dir_ + "/rabbitmq.yaml") << Manifests(roll, replicas);
  }
  std::string HookLog() const {  // one line per call, each ending in a newline
    std::string log = ReadText(hooks_ + "/log");
    return log.empty() || log.back() == '\n' ? log : log + "\n";
  }
  Json Sts() const { return Json::parse(emu_->Kubectl("get statefulset rabbitmq -n dev -o json").out, nullptr, false); }
  int Partition() const {
    Json s = Sts();
    return s["spec"]["updateStrategy"]["rollingUpdate"].value("partition", -1);
  }
  std::vector<std::string> Revisions() const {
    Json pods = Json::parse(emu_->Kubectl("get pods -n dev -o json").out, nullptr, false);
    std::vector<std::string> out;
    for (const Json& p : pods.value("items", Json::array()))
      out.push_back(p["metadata"]["labels"].value("controller-revision-hash", ""));
    return out;
  }
  bool AllAtUpdateRevision() const {
    std::string want = Sts()["status"].value("updateRevision", "?");
    std::vector<std::string> revs = Revisions();
    return revs.size() == 3 && std::all_of(revs.begin(), revs.end(), [&](const std::string& r) { return r == want; });
  }

  EmulatorProcess* emu_ = nullptr;
  std::string urls_, dir_;
  static inline std::string hooks_;
};

// Queue state seen from whichever node answers, every 200 ms, while a rollout runs.
class Sampler {
 public:
  explicit Sampler(std::vector<std::string> urls) : urls_(std::move(urls)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~Sampler() { Stop(); }
  void Stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int samples = 0;
  size_t min_quorum_online = 99;  // members of ro.qq online
  int mirror_gaps = 0;            // samples where ro.ha was not listed, or listed without a master
  size_t min_ha_copies = 99;      // ro.ha's master plus its synchronised mirrors
  std::string worst;

 private:
  void Loop() {
    while (!done_) {
      for (const std::string& url : urls_) {
        RunResult r = Shell("curl -s -m 2 -u guest:guest '" + url + "/api/queues/%2F?disable_stats=true'");
        Json list = Json::parse(r.out, nullptr, false);
        if (!list.is_array()) continue;
        ++samples;
        bool ha_seen = false;
        for (const Json& q : list) {
          if (q.value("name", "") == "ro.qq") {
            size_t online = q.value("online", Json::array()).size();
            if (online < min_quorum_online) {
              min_quorum_online = online;
              worst = q.dump();
            }
          }
          if (q.value("name", "") == "ro.ha" && !q.value("node", "").empty()) {
            ha_seen = true;
            min_ha_copies = std::min(min_ha_copies, 1 + q.value("synchronised_slave_nodes", Json::array()).size());
          }
        }
        if (!ha_seen) ++mirror_gaps;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  std::vector<std::string> urls_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

long long Messages(const std::string& queue) {
  RunResult r = Ctl(1, "list_queues name messages --formatter json");
  Json list = Json::parse(r.out.substr(r.out.find('[')), nullptr, false);
  for (const Json& q : list.is_array() ? list : Json::array())
    if (q.value("name", "") == queue) return q.value("messages", -1LL);
  return -1;
}

void Publish(const std::string& queue, int n) {
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(Admin()
                    .Post("/api/exchanges/%2F/amq.default/publish", {{"properties", {{"delivery_mode", 2}}},
                                                                     {"routing_key", queue},
                                                                     {"payload", "m-" + std::to_string(i)},
                                                                     {"payload_encoding", "string"}})
                    .ok());
}

TEST_F(RolloutEndToEnd, RollsTwoOneZeroWithoutLosingAQuorumAMirrorOrAMessage) {
  ASSERT_TRUE(
      Admin().Put("/api/queues/%2F/ro.qq", {{"durable", true}, {"arguments", {{"x-queue-type", "quorum"}}}}).ok());
  ASSERT_TRUE(Admin()
                  .Put("/api/policies/%2F/ro-ha", {{"pattern", "^ro\\.ha$"},
                                                   {"definition", {{"ha-mode", "all"}, {"ha-sync-mode", "automatic"}}},
                                                   {"apply-to", "queues"}})
                  .ok());
  ASSERT_TRUE(Admin().Put("/api/queues/%2F/ro.ha", {{"durable", true}}).ok());
  Publish("ro.qq", 40);
  Publish("ro.ha", 40);
  ASSERT_TRUE(Eventually([] { return Messages("ro.qq") == 40 && Messages("ro.ha") == 40; }, 20));

  Template("2");
  RunResult diff = emu_->Warren("diff " + dir_ + NodeFlags());
  EXPECT_EQ(diff.exit_code, 1) << diff.out;
  EXPECT_TRUE(Has(diff.out, "rollout: StatefulSet dev/rabbitmq: the template change is a gated rollout")) << diff.out;
  EXPECT_TRUE(Has(diff.out, "pod rabbitmq-2 may restart now")) << diff.out;

  Sampler sampler({Url(1), Url(2), Url(3)});
  auto start = std::chrono::steady_clock::now();
  RunResult sync = Sync();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sampler.Stop();
  std::cout << "3-pod rollout: " << seconds << " s, " << sampler.samples << " samples, fewest ro.qq members online "
            << sampler.min_quorum_online << ", fewest ro.ha synchronised copies " << sampler.min_ha_copies << "\n";
  ASSERT_EQ(sync.exit_code, 0) << sync.out;
  EXPECT_EQ(HookLog(),
            "stop dev rabbitmq-2\nstart dev rabbitmq-2\nstop dev rabbitmq-1\nstart dev rabbitmq-1\n"
            "stop dev rabbitmq-0\nstart dev rabbitmq-0\n");
  for (const char* step : {"pod 1 of 3 (rabbitmq-2): gate passed on rabbit3@localhost",
                           "pod 2 of 3 (rabbitmq-1): gate passed on rabbit2@localhost",
                           "pod 3 of 3 (rabbitmq-0): gate passed on rabbit1@localhost",
                           "StatefulSet dev/rabbitmq: rolled out (3/3 pods updated)"})
    EXPECT_TRUE(Has(sync.out, step)) << sync.out;
  EXPECT_TRUE(AllAtUpdateRevision());
  EXPECT_EQ(Partition(), 0);
  EXPECT_GE(sampler.samples, 10);
  EXPECT_GE(sampler.min_quorum_online, 2u) << "ro.qq lost its majority: " << sampler.worst;
  EXPECT_EQ(sampler.mirror_gaps, 0);
  EXPECT_GE(sampler.min_ha_copies, 2u) << "ro.ha was down to its last synchronised copy";
  EXPECT_TRUE(Eventually([] { return Messages("ro.qq") == 40 && Messages("ro.ha") == 40; }, 30))
      << Messages("ro.qq") << " " << Messages("ro.ha");
  // Held or finished, the rollout's fields are never drift.
  RunResult clean = emu_->Warren("diff " + dir_ + NodeFlags());
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
}

TEST_F(RolloutEndToEnd, ANodeDownHaltsBeforeAnyPodRestartsThenTheRolloutCompletes) {
  ASSERT_TRUE(
      Admin().Put("/api/queues/%2F/ro.qq", {{"durable", true}, {"arguments", {{"x-queue-type", "quorum"}}}}).ok());
  ASSERT_EQ(Ctl(2, "stop_app").exit_code, 0);  // pod 1's node, out of band
  Template("2");
  RunResult halted = Sync("--timeout 6s");
  EXPECT_EQ(halted.exit_code, 1) << halted.out;
  EXPECT_TRUE(
      Has(halted.out,
          "StatefulSet dev/rabbitmq: needs action: rollout halted: pod 1 of 3 (rabbitmq-2): halted, queue 'ro.qq' in "
          "vhost '/' would lose quorum if rabbit3@localhost (pod rabbitmq-2) stopped (node-is-quorum-critical)"))
      << halted.out;
  EXPECT_TRUE(Has(halted.out, "also node rabbit2@localhost is not running")) << halted.out;
  EXPECT_EQ(HookLog(), "") << "a pod was restarted";
  EXPECT_EQ(Partition(), 3);
  RunResult held = emu_->Warren("diff " + dir_ + NodeFlags());
  EXPECT_EQ(held.exit_code, 0) << "a held partition is not drift: " << held.out;

  ASSERT_EQ(Ctl(2, "start_app").exit_code, 0);
  RunResult resumed = Sync();
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_TRUE(AllAtUpdateRevision());
}

// A broker that cannot answer the check (404: older than 3.8.10) is no pass: a stand-in for node 3.
TEST_F(RolloutEndToEnd, AGateThatAnswers404Halts) {
  httplib::Server old;
  old.Get("/api/overview", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"node":"rabbit3@localhost","rabbitmq_version":"3.8.5"})", "application/json");
  });
  old.Get(R"(/api/.*)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"error":"Object Not Found","reason":"Not Found"})", "application/json");
  });
  int port = old.bind_to_any_port("127.0.0.1");
  std::thread serve([&] { old.listen_after_bind(); });
  Template("2");
  RunResult halted = Sync("--timeout 3s", "http://127.0.0.1:" + std::to_string(port));
  old.stop();
  serve.join();
  EXPECT_EQ(halted.exit_code, 1) << halted.out;
  EXPECT_TRUE(Has(halted.out, "cannot verify")) << halted.out;
  EXPECT_EQ(HookLog(), "");
  EXPECT_EQ(Partition(), 3);
}

TEST_F(RolloutEndToEnd, AKilledSyncResumesWhereItStood) {
  Template("2");
  // Killed once pod 2 is back: the next run goes on with pod 1, never restarting pod 2 again.
  RunResult killed = SyncKilledAfter("start dev rabbitmq-2");
  ASSERT_TRUE(Has(HookLog(), "start dev rabbitmq-2")) << killed.out << ReadText(hooks_ + "/first.out");
  EXPECT_EQ(Partition(), 2);
  RunResult resumed = Sync();
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_EQ(HookLog(),
            "stop dev rabbitmq-2\nstart dev rabbitmq-2\nstop dev rabbitmq-1\nstart dev rabbitmq-1\n"
            "stop dev rabbitmq-0\nstart dev rabbitmq-0\n");
  EXPECT_TRUE(AllAtUpdateRevision());
}

TEST_F(RolloutEndToEnd, ATemplateChangedMidRolloutRestartsFromTheTop) {
  Template("2");
  SyncKilledAfter("start dev rabbitmq-2");
  ASSERT_EQ(Partition(), 2);
  Template("3");
  RunResult diff = emu_->Warren("diff " + dir_ + NodeFlags());
  EXPECT_TRUE(Has(diff.out, "the unfinished rollout of the previous template starts over")) << diff.out;
  RunResult sync = Sync();
  EXPECT_EQ(sync.exit_code, 0) << sync.out;
  // Pod 2 (already at template 2) rolls again, to template 3, first.
  EXPECT_EQ(HookLog(),
            "stop dev rabbitmq-2\nstart dev rabbitmq-2\nstop dev rabbitmq-2\nstart dev rabbitmq-2\n"
            "stop dev rabbitmq-1\nstart dev rabbitmq-1\nstop dev rabbitmq-0\nstart dev rabbitmq-0\n");
  EXPECT_TRUE(AllAtUpdateRevision());
  Json env = Sts()["spec"]["template"]["spec"]["containers"][0]["env"];
  EXPECT_EQ(env[0].value("value", ""), "3");
}

TEST_F(RolloutEndToEnd, AScaleDownIsGatedLikeARestart) {
  ASSERT_TRUE(
      Admin().Put("/api/queues/%2F/ro.qq", {{"durable", true}, {"arguments", {{"x-queue-type", "quorum"}}}}).ok());
  ASSERT_EQ(Ctl(1, "stop_app").exit_code, 0);  // pod 0's node: leaving pod 2 would cost ro.qq its majority
  Template("1", 2);
  RunResult held = Sync("--timeout 5s");
  EXPECT_EQ(held.exit_code, 1) << held.out;
  EXPECT_TRUE(Has(held.out, "queue 'ro.qq' in vhost '/' would lose quorum if rabbit3@localhost (pod rabbitmq-2)"))
      << held.out;
  EXPECT_EQ(Sts()["spec"].value("replicas", 0), 3);
  EXPECT_EQ(HookLog(), "");

  ASSERT_EQ(Ctl(1, "start_app").exit_code, 0);
  (void)Admin().Delete("/api/queues/%2F/ro.qq");  // a 3-member queue would lose its majority for good
  RunResult scaled = Sync();
  EXPECT_EQ(scaled.exit_code, 0) << scaled.out;
  EXPECT_TRUE(Has(scaled.out, "gate passed on rabbit3@localhost; scaled down to 2 (pod rabbitmq-2 leaves)"))
      << scaled.out;
  EXPECT_EQ(Sts()["spec"].value("replicas", 0), 2);
  EXPECT_EQ(HookLog(), "stop dev rabbitmq-2\n");
  // Back to 3: scaling up needs no gate.
  Template("1", 3);
  EXPECT_EQ(Sync().exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return Has(HookLog(), "start dev rabbitmq-2"); }, 30)) << HookLog();
}

}  // namespace
}  // namespace warren::testing
