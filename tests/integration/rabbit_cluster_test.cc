// warren against a real 3-node RabbitMQ 3.10 cluster, through the real binary: sync to an empty
// cluster, clean diff, drift made with rabbitmqctl and the API, restore, the safety rules for
// queues and prune, definitions files, bad input, and health while a node is stopped and back.
#include <functional>

#include <gtest/gtest.h>

#include <map>

#include "tests/integration/emulator_process.h"
#include "tests/integration/rabbit_cluster.h"

namespace warren::testing {
namespace {

const std::string kUser = "warren-it";
const std::string kPassword = "It-pw-7f3c9e1b-never-printed";

class RabbitCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(Admin().Put("/api/users/" + kUser, {{"password", kPassword}, {"tags", "administrator"}}).ok());
    // Permissions on the vhosts that already exist; vhosts warren creates are granted to it by RabbitMQ.
    for (const char* vhost : {"%2F"})
      ASSERT_TRUE(Admin()
                      .Put(std::string("/api/permissions/") + vhost + "/" + kUser,
                           {{"configure", ".*"}, {"write", ".*"}, {"read", ".*"}})
                      .ok());
    creds_ = ManifestDir("creds", {{"credentials", kUser + ":" + kPassword + "\n"}}) + "/credentials";
  }

  // Runs warren with the cluster flags; no output may ever contain the password.
  static RunResult W(const std::string& args, const std::string& inventory = "warren-inventory",
                     const std::string& urls = ClusterUrls()) {
    // Only the broker: a KUBECONFIG in the caller's environment must not add a Kubernetes target.
    RunResult r = Shell("env -u KUBECONFIG " + std::string(WARREN_BINARY) + " " + args + " --rabbitmq-url " + urls +
                        " --rabbitmq-credentials-file " + creds_ + " --rabbitmq-inventory " + inventory);
    EXPECT_EQ(r.out.find(kPassword), std::string::npos) << "password leaked by: warren " << args;
    return r;
  }

  // Starts a test from nothing (its vhost gone, its inventory empty) and leaves nothing behind,
  // so one test's queues never make the cluster-wide `warren status` of another degraded.
  void Reset(const std::string& vhost, const std::string& inventory) {
    auto clean = [vhost, inventory] {
      (void)Admin().Delete("/api/vhosts/" + vhost);
      (void)Admin().Delete("/api/global-parameters/" + inventory);
    };
    clean();
    cleanups_.push_back(clean);
  }
  void TearDown() override {
    for (auto& c : cleanups_) c();
  }
  std::vector<std::function<void()>> cleanups_;

  // Vhosts warren creates are granted to warren's user only; guest arranges and inspects them too.
  static void GrantGuest(const std::string& vhost) {
    ASSERT_TRUE(Admin()
                    .Put("/api/permissions/" + vhost + "/guest", {{"configure", ".*"}, {"write", ".*"}, {"read", ".*"}})
                    .ok());
  }

  static void Publish(const std::string& vhost, const std::string& queue) {
    Status s = Admin().Post("/api/exchanges/" + vhost + "/amq.default/publish", {{"properties", {{"delivery_mode", 2}}},
                                                                                 {"routing_key", queue},
                                                                                 {"payload", "order-1"},
                                                                                 {"payload_encoding", "string"}});
    ASSERT_TRUE(s.ok()) << s.message();
  }

  static bool QueueExists(const std::string& vhost, const std::string& name) {
    return Admin().Get("/api/queues/" + vhost + "/" + name).ok();
  }

  static std::string creds_;
};
std::string RabbitCluster::creds_;

const std::string kManifests = std::string(WARREN_SOURCE_DIR) + "/manifests";

bool Has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

TEST_F(RabbitCluster, ReferenceManifestsSyncCleanThenDriftIsNamedAndRestored) {
  Reset("orders", "warren-inventory");
  RunResult plan = W("diff " + kManifests);
  EXPECT_EQ(plan.exit_code, 1) << plan.out;
  EXPECT_TRUE(Has(plan.out, "6 to create")) << plan.out;

  RunResult sync = W("sync " + kManifests);
  ASSERT_EQ(sync.exit_code, 0) << sync.out;
  EXPECT_TRUE(Has(sync.out, "6 created, 0 configured")) << sync.out;
  GrantGuest("orders");
  RunResult clean = W("diff " + kManifests);
  EXPECT_EQ(clean.exit_code, 0) << clean.out;

  // Drift behind warren's back: the policy by rabbitmqctl, a binding deleted, a queue added.
  RunResult ctl = Ctl(
      1, R"(set_policy -p orders ha-all '^ha\.' '{"ha-mode":"exactly","ha-params":2}' --apply-to queues --priority 1)");
  ASSERT_EQ(ctl.exit_code, 0) << ctl.out;
  ASSERT_TRUE(Admin().Delete("/api/bindings/orders/e/orders/q/ha.orders/order.%2523").ok());
  ASSERT_TRUE(Admin().Put("/api/queues/orders/user.q", {{"durable", true}}).ok());

  RunResult drift = W("diff " + kManifests + " -o json");
  EXPECT_EQ(drift.exit_code, 1) << drift.out;
  Json report = Json::parse(drift.out);
  std::map<std::string, Json> by_name;
  for (const Json& o : report["objects"])
    by_name[o["kind"].get<std::string>() + " " + o["name"].get<std::string>()] = o;
  Json policy = by_name["Policy ha-all"];
  EXPECT_EQ(policy["action"], "update");
  EXPECT_EQ(policy["target"], "rabbitmq");
  EXPECT_EQ(policy["vhost"], "orders");
  std::set<std::string> paths;
  for (const Json& c : policy["changes"]) paths.insert(c["path"]);
  EXPECT_EQ(paths, (std::set<std::string>{"/priority", "/definition/ha-mode", "/definition/ha-params",
                                          "/definition/ha-sync-mode"}));
  EXPECT_EQ(by_name["Binding orders -> queue:ha.orders [order.#]"]["action"], "create");
  EXPECT_EQ(by_name["Queue user.q"]["action"], "extra");
  EXPECT_EQ(report["summary"]["extra"], 1);

  // A dry run reports and writes nothing.
  RunResult dry = W("sync " + kManifests + " --dry-run");
  EXPECT_TRUE(Has(dry.out, "Policy ha-all (vhost orders): configured (dry run)")) << dry.out;
  EXPECT_EQ(Admin().Get("/api/policies/orders/ha-all").value()["definition"]["ha-mode"], "exactly");

  RunResult restore = W("sync " + kManifests + " --prune");
  EXPECT_EQ(restore.exit_code, 0) << restore.out;
  EXPECT_TRUE(Has(restore.out, "Policy ha-all (vhost orders): configured")) << restore.out;
  EXPECT_TRUE(Has(restore.out, "Binding orders -> queue:ha.orders [order.#] (vhost orders): created")) << restore.out;
  EXPECT_EQ(Admin().Get("/api/policies/orders/ha-all").value()["definition"],
            Json::parse(R"({"ha-mode":"all","ha-sync-mode":"automatic"})"));
  EXPECT_TRUE(QueueExists("orders", "user.q")) << "a queue warren did not create is never pruned";
  RunResult after = W("diff " + kManifests);
  EXPECT_EQ(after.exit_code, 0) << after.out;
  EXPECT_TRUE(Has(after.out, "? Queue user.q (vhost orders)  (extra: not in git and not created by warren"))
      << after.out;
}

const char* kImmVhost = R"(
apiVersion: rabbitmq.com/v1beta1
kind: Vhost
metadata: {name: imm}
spec: {name: imm}
---
apiVersion: rabbitmq.com/v1beta1
kind: Exchange
metadata: {name: ex}
spec: {name: ex, vhost: imm, type: direct, durable: true}
---
apiVersion: rabbitmq.com/v1beta1
kind: Binding
metadata: {name: ex-q1}
spec: {vhost: imm, source: ex, destination: q1, destinationType: queue, routingKey: k}
)";

std::string ImmQueue(bool durable) {
  return std::string(
             "apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: q1}\nspec: {name: q1, vhost: imm, "
             "durable: ") +
         (durable ? "true" : "false") + "}\n";
}

TEST_F(RabbitCluster, ImmutableQueueChangeIsRefusedUntilOptInAndEmpty) {
  Reset("imm", "it-imm");
  std::string v1 = ManifestDir("imm-v1", {{"topology.yaml", kImmVhost}, {"queue.yaml", ImmQueue(true)}});
  ASSERT_EQ(W("sync " + v1, "it-imm").exit_code, 0);
  GrantGuest("imm");
  Publish("imm", "q1");

  std::string v2 = ManifestDir("imm-v2", {{"topology.yaml", kImmVhost}, {"queue.yaml", ImmQueue(false)}});
  RunResult diff = W("diff " + v2, "it-imm");
  EXPECT_EQ(diff.exit_code, 1);
  EXPECT_TRUE(Has(diff.out, "! Queue q1 (vhost imm)  (recreate: durable cannot change on a live queue")) << diff.out;
  EXPECT_TRUE(Has(diff.out, ".durable: true → false")) << diff.out;

  RunResult refused = W("sync " + v2, "it-imm");
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_TRUE(Has(refused.out, "Queue q1 (vhost imm): needs action: durable cannot change")) << refused.out;

  RunResult not_empty = W("sync " + v2 + " --recreate-empty-queues", "it-imm");
  EXPECT_EQ(not_empty.exit_code, 1) << not_empty.out;
  EXPECT_TRUE(Has(not_empty.out, "Queue q1 (vhost imm): failed: not recreated, the queue is not empty"))
      << not_empty.out;
  auto q1 = Admin().Get("/api/queues/imm/q1");
  ASSERT_TRUE(q1.ok());
  EXPECT_EQ(q1.value()["durable"], true) << "the queue and its message are still there";

  ASSERT_TRUE(Admin().Delete("/api/queues/imm/q1/contents").ok());  // purge
  RunResult recreated = W("sync " + v2 + " --recreate-empty-queues", "it-imm");
  EXPECT_EQ(recreated.exit_code, 0) << recreated.out;
  EXPECT_TRUE(Has(recreated.out, "Queue q1 (vhost imm): recreated: was empty; 1 binding(s) restored")) << recreated.out;
  EXPECT_EQ(W("diff " + v2, "it-imm").exit_code, 0);

  // An exchange's type cannot change in place either: it is re-declared, its bindings restored.
  std::string topic = kImmVhost;
  topic.replace(topic.find("type: direct"), 12, "type: fanout");
  std::string v3 = ManifestDir("imm-v3", {{"topology.yaml", topic}, {"queue.yaml", ImmQueue(false)}});
  RunResult exchange = W("sync " + v3, "it-imm");
  EXPECT_EQ(exchange.exit_code, 0) << exchange.out;
  EXPECT_TRUE(Has(exchange.out, "Exchange ex (vhost imm): recreated: 1 binding(s) restored")) << exchange.out;
  EXPECT_EQ(Admin().Get("/api/exchanges/imm/ex").value()["type"], "fanout");
  EXPECT_EQ(W("diff " + v3, "it-imm").exit_code, 0);
}

const char* kPrnVhost = "apiVersion: rabbitmq.com/v1beta1\nkind: Vhost\nmetadata: {name: prn}\nspec: {name: prn}\n";
std::string PrnQueue(const std::string& name) {
  return "apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: " + name + "}\nspec: {name: " + name +
         ", vhost: prn, durable: true}\n";
}
const char* kPrnPolicy = R"(apiVersion: rabbitmq.com/v1beta1
kind: Policy
metadata: {name: ttl}
spec: {name: ttl, vhost: prn, pattern: ^b$, definition: {message-ttl: "60000"}}
)";

TEST_F(RabbitCluster, PruneRemovesOnlyWhatWarrenCreatedAndNeverAQueueWithMessages) {
  Reset("prn", "it-prn");
  std::string a = ManifestDir(
      "prn-a",
      {{"vhost.yaml", kPrnVhost}, {"a.yaml", PrnQueue("a")}, {"b.yaml", PrnQueue("b")}, {"policy.yaml", kPrnPolicy}});
  ASSERT_EQ(W("sync " + a, "it-prn").exit_code, 0);
  GrantGuest("prn");
  EXPECT_EQ(W("diff " + a, "it-prn").exit_code, 0) << "message-ttl \"60000\" and 60000 are the same";
  ASSERT_TRUE(Admin().Put("/api/queues/prn/theirs", {{"durable", true}}).ok());

  std::string b = ManifestDir("prn-b", {{"vhost.yaml", kPrnVhost}, {"a.yaml", PrnQueue("a")}});
  RunResult diff = W("diff " + b, "it-prn");
  EXPECT_EQ(diff.exit_code, 1);
  EXPECT_TRUE(Has(diff.out, "- Queue b (vhost prn)  (prune: created by warren")) << diff.out;
  EXPECT_TRUE(Has(diff.out, "- Policy ttl (vhost prn)  (prune")) << diff.out;
  EXPECT_TRUE(Has(diff.out, "? Queue theirs (vhost prn)  (extra")) << diff.out;

  RunResult no_prune = W("sync " + b, "it-prn");
  EXPECT_EQ(no_prune.exit_code, 0) << no_prune.out;
  EXPECT_TRUE(Has(no_prune.out, "Queue b (vhost prn): left in place: removed from git; prune is off")) << no_prune.out;
  EXPECT_TRUE(Has(no_prune.out, "in sync; 2 objects removed from git left in place: ")) << no_prune.out;
  EXPECT_TRUE(QueueExists("prn", "b"));
  RunResult still = W("diff " + b, "it-prn");
  EXPECT_TRUE(Has(still.out, "- Queue b (vhost prn)  (prune")) << "still a prune candidate\n" << still.out;

  RunResult prune = W("sync " + b + " --prune", "it-prn");
  EXPECT_EQ(prune.exit_code, 0) << prune.out;
  EXPECT_TRUE(Has(prune.out, "2 pruned")) << prune.out;
  EXPECT_FALSE(QueueExists("prn", "b"));
  EXPECT_TRUE(QueueExists("prn", "theirs"));

  Publish("prn", "a");
  std::string c = ManifestDir("prn-c", {{"vhost.yaml", kPrnVhost}});
  RunResult kept = W("sync " + c + " --prune", "it-prn");
  EXPECT_EQ(kept.exit_code, 1) << kept.out;
  EXPECT_TRUE(Has(kept.out, "Queue a (vhost prn): failed: kept, the queue still holds messages")) << kept.out;
  EXPECT_TRUE(QueueExists("prn", "a"));
  EXPECT_TRUE(Has(W("diff " + c, "it-prn").out, "- Queue a (vhost prn)  (prune")) << "still owned, retried next time";
}

TEST_F(RabbitCluster, DefinitionsFileIsDesiredState) {
  Reset("defs", "it-defs");
  std::string dir = ManifestDir("defs", {{"definitions.json", R"({
    "rabbit_version": "3.10.8",
    "vhosts": [{"name": "defs"}],
    "exchanges": [{"name": "events", "vhost": "defs", "type": "fanout", "durable": true, "auto_delete": false,
                   "internal": false, "arguments": {}}],
    "queues": [{"name": "events.audit", "vhost": "defs", "durable": true, "auto_delete": false,
                "arguments": {"x-queue-type": "quorum"}}],
    "bindings": [{"source": "events", "vhost": "defs", "destination": "events.audit", "destination_type": "queue",
                  "routing_key": "", "arguments": {}}],
    "policies": [{"vhost": "defs", "name": "limit", "pattern": "^events\\.", "apply-to": "queues",
                  "definition": {"max-length": 1000}, "priority": 0}]})"}});
  RunResult sync = W("sync " + dir, "it-defs");
  EXPECT_EQ(sync.exit_code, 0) << sync.out;
  EXPECT_TRUE(Has(sync.out, "5 created")) << sync.out;
  EXPECT_EQ(W("diff " + dir, "it-defs").exit_code, 0);
  GrantGuest("defs");
  auto q = Admin().Get("/api/queues/defs/events.audit");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q.value()["type"], "quorum");
}

TEST_F(RabbitCluster, ErrorsAreClearAndNameTheObject) {
  // Wrong password: exit 2, the 401, and no password in the output.
  std::string wrong = ManifestDir("wrong-creds", {{"c", kUser + ":Wrong-pw-d00d\n"}}) + "/c";
  RunResult denied =
      Warren("diff " + kManifests + " --rabbitmq-url " + ClusterUrls() + " --rabbitmq-credentials-file " + wrong);
  EXPECT_EQ(denied.exit_code, 2) << denied.out;
  EXPECT_TRUE(Has(denied.out, "401 not_authorized: Login failed")) << denied.out;
  EXPECT_FALSE(Has(denied.out, "Wrong-pw-d00d"));

  // A queue in a vhost that exists nowhere, and a policy RabbitMQ refuses.
  Reset("bad", "it-bad");
  std::string dir = ManifestDir("bad", {{"bad.yaml", R"(
apiVersion: rabbitmq.com/v1beta1
kind: Queue
metadata: {name: lost}
spec: {name: lost, vhost: no-such-vhost, durable: true}
---
apiVersion: rabbitmq.com/v1beta1
kind: Vhost
metadata: {name: bad}
spec: {name: bad}
---
apiVersion: rabbitmq.com/v1beta1
kind: Policy
metadata: {name: bogus}
spec: {name: bogus, vhost: bad, pattern: ".*", definition: {ha-mode: bogus}}
)"}});
  RunResult failed = W("sync " + dir, "it-bad");
  EXPECT_EQ(failed.exit_code, 1) << failed.out;
  EXPECT_TRUE(Has(
      failed.out,
      "Queue lost (vhost no-such-vhost): failed: PUT /api/queues/no-such-vhost/lost: 404 not_found: vhost_not_found"))
      << failed.out;
  EXPECT_TRUE(Has(
      failed.out,
      R"(Policy bogus (vhost bad): failed: PUT /api/policies/bad/bogus: 400 bad_request: Validation failed: <<"bogus">> is not a valid ha-mode value)"))
      << failed.out;
  EXPECT_TRUE(Has(failed.out, "Vhost bad: created")) << "one failure does not stop the others: " << failed.out;

  // The first URL is dead: the next one answers.
  RunResult failover = W("diff " + kManifests, "warren-inventory", "http://127.0.0.1:9," + ClusterUrls());
  EXPECT_NE(failover.exit_code, 2) << failover.out;
  RunResult unreachable = W("diff " + kManifests, "warren-inventory", "http://127.0.0.1:9,http://127.0.0.1:10");
  EXPECT_EQ(unreachable.exit_code, 2);
  EXPECT_TRUE(Has(unreachable.out, "no RabbitMQ management node answered")) << unreachable.out;
}

const char* kHealthTopology = R"(
apiVersion: rabbitmq.com/v1beta1
kind: Vhost
metadata: {name: hs}
spec: {name: hs}
---
apiVersion: rabbitmq.com/v1beta1
kind: Policy
metadata: {name: ha-auto}
spec: {name: ha-auto, vhost: hs, pattern: ^ha\., applyTo: queues, definition: {ha-mode: all, ha-sync-mode: automatic}}
---
apiVersion: rabbitmq.com/v1beta1
kind: Policy
metadata: {name: ha-manual}
spec: {name: ha-manual, vhost: hs, pattern: ^man\., applyTo: queues, definition: {ha-mode: all}}
---
apiVersion: rabbitmq.com/v1beta1
kind: Queue
metadata: {name: ha-q}
spec: {name: ha.q, vhost: hs, durable: true}
---
apiVersion: rabbitmq.com/v1beta1
kind: Queue
metadata: {name: man-q}
spec: {name: man.q, vhost: hs, durable: true}
---
apiVersion: rabbitmq.com/v1beta1
kind: Queue
metadata: {name: qq}
spec: {name: qq, vhost: hs, durable: true, type: quorum}
)";

// Restarts node 3's app however the test ends.
struct Node3Guard {
  ~Node3Guard() { Shell("bash " + kClusterScript + " start-app 3"); }
};

TEST_F(RabbitCluster, StatusFollowsNodeLossAndResynchronisation) {
  Reset("hs", "it-hs");
  std::string dir = ManifestDir("hs", {{"topology.yaml", kHealthTopology}});
  ASSERT_EQ(W("sync " + dir, "it-hs").exit_code, 0);
  GrantGuest("hs");
  Publish("hs", "man.q");  // a manual-sync mirror with a message stays behind after a restart
  std::string status = "status --expected-nodes 3";
  RunResult healthy;
  EXPECT_TRUE(Eventually([&] { return (healthy = W(status)).exit_code == 0; })) << healthy.out;
  EXPECT_TRUE(Has(healthy.out, "healthy: 3/3 nodes")) << healthy.out;

  Node3Guard guard;
  ASSERT_EQ(Shell("bash " + kClusterScript + " stop-app 3").exit_code, 0);
  RunResult degraded = W(status);
  EXPECT_EQ(degraded.exit_code, 1) << degraded.out;
  EXPECT_TRUE(Has(degraded.out, "degraded: 2/3 nodes")) << degraded.out;
  EXPECT_TRUE(Has(degraded.out, "2/3 nodes running: rabbit3@localhost is not running")) << degraded.out;
  // The queues under their cause, the node; each one's own problem in the JSON.
  EXPECT_TRUE(Has(degraded.out,
                  "  - node rabbit3@localhost down: 2 mirrored queues at 1/2 synchronised mirrors (ha.q, man.q); 1 "
                  "quorum queue at 2/3 members online (qq)\n"))
      << degraded.out;
  EXPECT_TRUE(Has(degraded.out, "node-is-quorum-critical failed")) << degraded.out;
  Json j = Json::parse(W(status + " -o json").out);
  EXPECT_EQ(j["healthy"], false);
  EXPECT_EQ(j["nodes"]["running"], 2);
  std::map<std::string, std::string> problems;
  for (const char* list : {"mirroredQueues", "quorumQueues"})
    for (const Json& q : j[list]) problems[q.value("name", "")] = q.value("problem", "");
  EXPECT_EQ(problems["ha.q"].rfind("queue ha.q (vhost hs): 1/2 mirrors synchronised (policy ha-auto, ha-mode all)", 0),
            0u)
      << j.dump(1);
  EXPECT_EQ(problems["qq"], "queue qq (vhost hs): 2/3 members online; offline: rabbit3@localhost") << j.dump(1);

  ASSERT_EQ(Shell("bash " + kClusterScript + " start-app 3").exit_code, 0);
  // The automatic-sync mirror and the quorum member come back; the manual one stays unsynchronised.
  RunResult manual;
  EXPECT_TRUE(Eventually([&] {
    manual = W(status);
    return Has(manual.out, "3/3 nodes") && !Has(manual.out, "ha.q") && !Has(manual.out, "quorum queue at");
  })) << manual.out;
  EXPECT_EQ(manual.exit_code, 1) << manual.out;
  EXPECT_TRUE(Has(manual.out,
                  "  - mirrors on rabbit3@localhost not synchronised: 1 mirrored queue at 1/2 synchronised mirrors "
                  "(man.q)\n"))
      << manual.out;

  ASSERT_TRUE(Admin().Post("/api/queues/hs/man.q/actions", {{"action", "sync"}}).ok());
  RunResult synced;
  EXPECT_TRUE(Eventually([&] { return (synced = W(status)).exit_code == 0; })) << synced.out;
}

// One run reconciles both: the Kubernetes objects (on the API emulator) in order and ready, then
// the broker's topology; a policy changed by hand is restored by the next run.
TEST_F(RabbitCluster, OneSyncForKubernetesAndTheBroker) {
  Reset("orders", "it-both");
  EmulatorProcess emu("rabbit-sync");
  ASSERT_TRUE(emu.ok());
  std::string dir =
      ManifestDir("both", {{"namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n"}});
  std::filesystem::copy(kManifests, dir, std::filesystem::copy_options::recursive);
  std::string flags = " --rabbitmq-url " + ClusterUrls() + " --rabbitmq-credentials-file " + creds_ +
                      " --rabbitmq-inventory it-both -n dev --timeout 60";
  std::string sync = "KUBECONFIG=" + emu.kubeconfig() + " " + std::string(WARREN_BINARY) + " sync " + dir + flags;
  RunResult first = Shell(sync);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_TRUE(Has(first.out, "StatefulSet dev/rabbitmq: created")) << first.out;
  EXPECT_TRUE(Has(first.out, "Policy ha-all (vhost orders): created")) << first.out;
  EXPECT_FALSE(Has(first.out, kPassword));
  GrantGuest("orders");

  ASSERT_EQ(Ctl(1, R"(set_policy -p orders ha-all '^ha\.' '{"ha-mode":"exactly","ha-params":2}' --apply-to queues)")
                .exit_code,
            0);
  RunResult second = Shell(sync);
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_TRUE(Has(second.out, "Policy ha-all (vhost orders): configured")) << second.out;
  EXPECT_EQ(Admin().Get("/api/policies/orders/ha-all").value()["definition"]["ha-mode"], "all");
  RunResult diff = Shell("KUBECONFIG=" + emu.kubeconfig() + " " + std::string(WARREN_BINARY) + " diff " + dir +
                         flags.substr(0, flags.find(" --timeout")));
  EXPECT_EQ(diff.exit_code, 0) << diff.out;
}

}  // namespace
}  // namespace warren::testing
