// The messaging-topology operator's kinds beyond exchanges and queues, on the real 3-node cluster
// (tests/fixtures/topology-operator): a vhost with limits, a User whose credentials come from a
// Secret in the set, a Permission by userReference, a TopicPermission, a Policy and an
// OperatorPolicy. Synced to an empty broker, the user logs in and its permissions allow and forbid
// what they say; a second sync writes nothing; a password, a permission, a limit and an operator
// policy changed by hand are named (the password without its value) and restored; a password
// changed in git is the user's new password; user limits follow git; deletionPolicy: retain survives --prune; what
// warren does not manage is named by lint, diff and sync. Federation and Shovel with and without their plugins. No
// password, hash or URI in any output.
#include <gtest/gtest.h>

#include "diff/model/base64.h"
#include "diff/rabbit/password_hash.h"
#include "tests/integration/emulator_process.h"
#include "tests/integration/rabbit_cluster.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

const std::string kUser = "warren-users-it";
const std::string kPassword = "Users-it-pw-0a3e-never-printed";
const std::string kInventory = "warren-users-inventory";
const std::string kAppPassword = "Shop-app-pw-41c9-never-printed";  // in the fixture's Secret
const std::string kRotated = "Rotated-app-pw-5e2b-never-printed";
const std::string kNode1 = "http://127.0.0.1:15682";

class RabbitUsers : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Admin().Put("/api/users/" + kUser, {{"password", kPassword}, {"tags", "administrator"}}).ok());
    creds_ = ManifestDir("users-creds", {{"credentials", kUser + ":" + kPassword + "\n"}}) + "/credentials";
    Clean();
    dir_ = (fs::temp_directory_path() / ("warren-users-" + std::to_string(getpid()))).string();
    fs::remove_all(dir_);
    fs::copy(std::string(WARREN_SOURCE_DIR) + "/tests/fixtures/topology-operator", dir_, fs::copy_options::recursive);
  }
  void TearDown() override {
    Clean();
    (void)Admin().Delete("/api/users/" + kUser);
    fs::remove_all(dir_);
  }
  static void Clean() {
    (void)Admin().Delete("/api/vhosts/shop");
    (void)Admin().Delete("/api/users/shop-app");
    (void)Admin().Delete("/api/global-parameters/" + kInventory);
  }
  RunResult W(const std::string& command) {
    RunResult r =
        Shell("env -u KUBECONFIG " + std::string(WARREN_BINARY) + " " + command + " " + dir_ + " --rabbitmq-url " +
              ClusterUrls() + " --rabbitmq-credentials-file " + creds_ + " --rabbitmq-inventory " + kInventory);
    outputs_ += r.out;
    return r;
  }
  // An HTTP status of the management API on node 1 as user:password.
  static long As(const std::string& user, const std::string& password, const std::string& method,
                 const std::string& path, const std::string& body = "") {
    RunResult r =
        Shell("curl -s -o /dev/null -w '%{http_code}' -u '" + user + ":" + password + "' -X " + method +
              " -H 'content-type: application/json' " + (body.empty() ? "" : "-d '" + body + "' ") + kNode1 + path);
    return std::atol(r.out.c_str());
  }
  static void Put(const std::string& path, const Json& body) { ASSERT_TRUE(Admin().Put(path, body).ok()) << path; }

  std::string creds_, dir_, outputs_;
};

TEST_F(RabbitUsers, UsersPermissionsLimitsAndOperatorPoliciesFromGit) {
  RunResult lint = Shell(std::string(WARREN_BINARY) + " lint " + dir_);
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
  // The only finding: the user's credentials Secret is kept in git unencrypted (a test fixture).
  EXPECT_TRUE(Has(lint.out, "0 error(s), 1 warning(s)")) << lint.out;
  EXPECT_TRUE(Has(lint.out, "[secret-in-plaintext] Secret dev/shop-app-credentials")) << lint.out;

  RunResult first = W("sync");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_TRUE(Has(first.out, "10 created, 0 configured")) << first.out;
  // The user logs in; its permissions allow and forbid what they say.
  EXPECT_EQ(As("shop-app", kAppPassword, "GET", "/api/whoami"), 200);
  EXPECT_EQ(As("shop-app", kAppPassword, "PUT", "/api/queues/shop/shop.mine", R"({"durable":true})"), 201)
      << "configure ^shop\\.";
  EXPECT_NE(As("shop-app", kAppPassword, "PUT", "/api/queues/shop/other", R"({"durable":true})") / 100, 2)
      << "configure refuses it";
  auto limits = Admin().Get("/api/vhost-limits/shop");
  ASSERT_TRUE(limits.ok());
  EXPECT_EQ(limits.value()[0]["value"], (Json{{"max-connections", 100}, {"max-queues", 50}}));
  auto topic = Admin().Get("/api/topic-permissions/shop/shop-app");
  ASSERT_TRUE(topic.ok());
  EXPECT_EQ(topic.value()[0].value("write", ""), "^orders\\.");
  EXPECT_TRUE(Admin().Get("/api/operator-policies/shop/shop-cap").ok());

  RunResult second = W("sync");
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_TRUE(Has(second.out, "0 created, 0 configured, 0 recreated, 0 pruned, 0 failed, 10 unchanged")) << second.out;

  // Changed by hand: the password, a permission, a limit, an operator policy.
  Put("/api/users/shop-app", {{"password", "changed-by-hand"}, {"tags", "management"}});
  Put("/api/permissions/shop/shop-app", {{"configure", ".*"}, {"write", ".*"}, {"read", ".*"}});
  Put("/api/vhost-limits/shop/max-queues", {{"value", 5}});
  Put("/api/operator-policies/shop/shop-cap",
      {{"pattern", ".*"}, {"definition", {{"max-length", 5}}}, {"apply-to", "queues"}});
  RunResult drift = W("diff");
  EXPECT_EQ(drift.exit_code, 1) << drift.out;
  for (const char* line :
       {"~ User shop-app  (update)\n    .password: changed (value hidden)", ".configure: \".*\" → \"^shop\\\\.\"",
        ".limits.max-queues: 5 → 50", ".definition.max-length: 5 → 100000"})
    EXPECT_TRUE(Has(drift.out, line)) << line << " in:\n" << drift.out;
  EXPECT_FALSE(Has(drift.out, "changed-by-hand"));
  RunResult restore = W("sync");
  EXPECT_EQ(restore.exit_code, 0) << restore.out;
  EXPECT_TRUE(Has(restore.out, "4 configured")) << restore.out;
  EXPECT_EQ(W("diff").exit_code, 0);
  EXPECT_EQ(As("shop-app", kAppPassword, "GET", "/api/whoami"), 200) << "git's password again";

  // A new password in git's Secret: the user's password changes.
  ASSERT_TRUE(ReplaceInFile(dir_ + "/user.yaml", kAppPassword, kRotated));
  RunResult rotated = W("sync");
  EXPECT_EQ(rotated.exit_code, 0) << rotated.out;
  EXPECT_TRUE(Has(rotated.out, "User shop-app: configured")) << rotated.out;
  EXPECT_EQ(As("shop-app", kRotated, "GET", "/api/whoami"), 200);
  EXPECT_EQ(As("shop-app", kAppPassword, "GET", "/api/whoami"), 401);

  // deletionPolicy: retain: --prune forgets the queue and leaves it.
  std::string topology = ReadText(dir_ + "/topology.yaml");
  std::ofstream(dir_ + "/topology.yaml") << topology.substr(0, topology.rfind("---"));
  RunResult pruned = W("sync --prune");
  EXPECT_EQ(pruned.exit_code, 0) << pruned.out;
  EXPECT_TRUE(Has(pruned.out, "Queue shop.audit (vhost shop): retained: deletionPolicy retain")) << pruned.out;
  EXPECT_TRUE(Admin().Get("/api/queues/shop/shop.audit").ok());
  auto inventory = Admin().Get("/api/global-parameters/" + kInventory);
  ASSERT_TRUE(inventory.ok());
  EXPECT_FALSE(Has(inventory.value().dump(), "shop.audit")) << "forgotten: " << inventory.value().dump();

  // What warren does not manage is named, never dropped.
  std::ofstream(dir_ + "/more.yaml")
      << "apiVersion: rabbitmq.com/v1beta1\nkind: SchemaReplication\nmetadata: {name: up, namespace: dev}\n"
         "spec: {endpoints: \"a:5672\"}\n---\n"
         "apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: shop-x, namespace: dev}\n"
         "spec: {name: shop.x, vhost: shop, durable: true, deleteIfUnused: true}\n";
  RunResult named = Shell(std::string(WARREN_BINARY) + " lint " + dir_);
  EXPECT_TRUE(Has(named.out, "warning [unmanaged-rabbitmq-kind] SchemaReplication dev/up")) << named.out;
  EXPECT_TRUE(Has(named.out, "warning [unsupported-field] Queue dev/shop-x: spec.deleteIfUnused is not supported"))
      << named.out;
  RunResult noted = W("diff");
  EXPECT_TRUE(Has(noted.out, "SchemaReplication dev/up: warren does not manage this rabbitmq.com kind")) << noted.out;
  EXPECT_TRUE(Has(noted.out, "spec.deleteIfUnused is not supported by warren")) << noted.out;

  auto live_user = Admin().Get("/api/users/shop-app");
  ASSERT_TRUE(live_user.ok());
  std::string hash = live_user.value().value("password_hash", "");
  ASSERT_FALSE(hash.empty());
  for (const std::string& secret : {kAppPassword, kRotated, kPassword, hash})
    EXPECT_FALSE(Has(outputs_, secret)) << "leaked: a password or its hash";
}

const char* kPluginObjects = R"(
apiVersion: v1
kind: Secret
metadata: {name: upstream-uri, namespace: dev}
stringData: {uri: "amqp://shop-app:URI-pw-9d1f-never-printed@127.0.0.1:5683/shop"}
---
apiVersion: rabbitmq.com/v1beta1
kind: Federation
metadata: {name: upstream, namespace: dev}
spec: {name: upstream, vhost: shop, uriSecret: {name: upstream-uri}, expires: 3600000, ackMode: on-confirm}
---
apiVersion: v1
kind: Secret
metadata: {name: shovel-uris, namespace: dev}
stringData:
  srcUri: "amqp://shop-app:URI-pw-9d1f-never-printed@127.0.0.1:5682/shop"
  destUri: "amqp://shop-app:URI-pw-9d1f-never-printed@127.0.0.1:5683/shop"
---
apiVersion: rabbitmq.com/v1beta1
kind: Shovel
metadata: {name: audit-copy, namespace: dev}
spec: {name: audit-copy, vhost: shop, uriSecret: {name: shovel-uris}, srcQueue: shop.audit, destQueue: shop.orders}
)";

// Leaves the plugins off, as the cluster was started, however the test ends.
struct PluginsOff {
  ~PluginsOff() { Shell("bash " + kClusterScript + " plugins disable rabbitmq_federation rabbitmq_shovel"); }
};

// Federation upstreams and shovels are runtime parameters of plugins: without the plugins a clear
// error names them; with them, created, compared (the URIs never shown) and restored.
TEST_F(RabbitUsers, FederationAndShovelNeedTheirPluginsAndHideTheirUris) {
  PluginsOff off;
  ASSERT_EQ(Shell("bash " + kClusterScript + " plugins disable rabbitmq_federation rabbitmq_shovel").exit_code, 0);
  std::ofstream(dir_ + "/plugins.yaml") << kPluginObjects;
  RunResult without = W("sync");
  EXPECT_EQ(without.exit_code, 1) << without.out;
  EXPECT_TRUE(
      Has(without.out,
          "Federation upstream (vhost shop): failed: the rabbitmq_federation plugin is not enabled on the cluster"))
      << without.out;
  EXPECT_TRUE(Has(without.out,
                  "Shovel audit-copy (vhost shop): failed: the rabbitmq_shovel plugin is not enabled on the cluster"))
      << without.out;

  ASSERT_EQ(Shell("bash " + kClusterScript + " plugins enable rabbitmq_federation rabbitmq_shovel").exit_code, 0);
  RunResult with = W("sync");
  EXPECT_EQ(with.exit_code, 0) << with.out;
  EXPECT_TRUE(Has(with.out, "Federation upstream (vhost shop): created")) << with.out;
  EXPECT_TRUE(Has(with.out, "Shovel audit-copy (vhost shop): created")) << with.out;
  auto upstream = Admin().Get("/api/parameters/federation-upstream/shop/upstream");
  ASSERT_TRUE(upstream.ok());
  EXPECT_EQ(upstream.value()["value"].value("expires", 0), 3600000);
  EXPECT_EQ(upstream.value()["value"].value("ack-mode", ""), "on-confirm");
  auto shovel = Admin().Get("/api/parameters/shovel/shop/audit-copy");
  ASSERT_TRUE(shovel.ok());
  EXPECT_EQ(shovel.value()["value"].value("src-queue", ""), "shop.audit");
  EXPECT_EQ(W("diff").exit_code, 0);

  Put("/api/parameters/federation-upstream/shop/upstream",
      {{"value", {{"uri", "amqp://someone-else@127.0.0.1:5684/shop"}, {"expires", 5}, {"ack-mode", "on-confirm"}}}});
  RunResult drift = W("diff");
  EXPECT_EQ(drift.exit_code, 1) << drift.out;
  EXPECT_TRUE(Has(drift.out, ".value.expires: 5 → 3600000")) << drift.out;
  EXPECT_TRUE(Has(drift.out, ".value.uri: changed (value hidden)")) << drift.out;
  EXPECT_EQ(W("sync").exit_code, 0);
  EXPECT_EQ(W("diff").exit_code, 0);
  for (const std::string& secret : {std::string("URI-pw-9d1f-never-printed"), std::string("someone-else")})
    EXPECT_FALSE(Has(outputs_, secret)) << "a URI leaked";
}

// spec.userLimits as RabbitMQ's user limits: set, changed by hand and restored, one dropped from git
// and deleted from the broker.
TEST_F(RabbitUsers, UserLimitsFromGit) {
  ASSERT_TRUE(ReplaceInFile(dir_ + "/user.yaml", "  tags: [management]\n",
                            "  tags: [management]\n  userLimits: {connections: 10, channels: 20}\n"));
  RunResult first = W("sync");
  EXPECT_EQ(first.exit_code, 0) << first.out;
  auto limits = Admin().Get("/api/user-limits/shop-app");
  ASSERT_TRUE(limits.ok());
  ASSERT_EQ(limits.value().size(), 1u) << limits.value().dump();
  EXPECT_EQ(limits.value()[0]["value"], (Json{{"max-connections", 10}, {"max-channels", 20}}));
  EXPECT_EQ(W("diff").exit_code, 0);

  Put("/api/user-limits/shop-app/max-connections", {{"value", 1}});
  RunResult drift = W("diff");
  EXPECT_EQ(drift.exit_code, 1) << drift.out;
  EXPECT_TRUE(Has(drift.out, ".limits.max-connections: 1 → 10")) << drift.out;

  ASSERT_TRUE(ReplaceInFile(dir_ + "/user.yaml", "userLimits: {connections: 10, channels: 20}",
                            "userLimits: {connections: 10}"));
  RunResult restored = W("sync");
  EXPECT_EQ(restored.exit_code, 0) << restored.out;
  EXPECT_TRUE(Has(restored.out, "User shop-app: configured")) << restored.out;
  limits = Admin().Get("/api/user-limits/shop-app");
  ASSERT_TRUE(limits.ok());
  ASSERT_EQ(limits.value().size(), 1u) << limits.value().dump();
  EXPECT_EQ(limits.value()[0]["value"], (Json{{"max-connections", 10}})) << "max-channels left git, and the broker";
  EXPECT_EQ(As("shop-app", kAppPassword, "GET", "/api/whoami"), 200) << "the password is still git's";
  EXPECT_EQ(W("diff").exit_code, 0);
}

// RabbitMQ deletes all of a user's topic permissions in a vhost at once: pruning one must leave
// the user's others, git's and those set by hand, as they were.
TEST_F(RabbitUsers, PruningATopicPermissionKeepsTheUsersOthers) {
  std::ofstream(dir_ + "/audit-topic.yaml")
      << "apiVersion: rabbitmq.com/v1beta1\nkind: TopicPermission\n"
         "metadata: {name: shop-app-audit, namespace: dev}\n"
         "spec: {vhost: shop, user: shop-app, permissions: {exchange: shop.audit, write: \"^a\", read: \"^a\"}}\n";
  ASSERT_EQ(W("sync").exit_code, 0);
  Put("/api/topic-permissions/shop/shop-app", {{"exchange", "amq.topic"}, {"write", "^hand"}, {"read", "^hand"}});
  fs::remove(dir_ + "/audit-topic.yaml");
  RunResult pruned = W("sync --prune");
  EXPECT_EQ(pruned.exit_code, 0) << pruned.out;
  EXPECT_TRUE(Has(pruned.out, "TopicPermission shop-app [shop.audit] (vhost shop): pruned")) << pruned.out;
  auto left = Admin().Get("/api/topic-permissions/shop/shop-app");
  ASSERT_TRUE(left.ok());
  std::map<std::string, std::string> write_by_exchange;
  for (const Json& p : left.value()) write_by_exchange[p.value("exchange", "")] = p.value("write", "");
  EXPECT_EQ(write_by_exchange,
            (std::map<std::string, std::string>{{"amq.topic", "^hand"}, {"shop.events", "^orders\\."}}))
      << left.value().dump();
  EXPECT_TRUE(Has(W("diff").out, "0 to prune")) << "nothing left to do";
}

// A SuperStream is its exchange, stream partitions and ordered bindings: created on 3.10 with a note
// that super-stream clients need 3.11, routed by routing key, unchanged on a second sync, and grown
// by a partition without touching the others; a partition removed is unbound, its stream kept.
TEST_F(RabbitUsers, SuperStreamIsAnExchangeStreamsAndOrderedBindings) {
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  auto write =
      [&](const std::string& keys) {
        std::ofstream(dir_ + "/stream.yaml")
            << "apiVersion: rabbitmq.com/v1beta1\nkind: Vhost\nmetadata: {name: shop, namespace: dev}\n"
               "spec: {name: shop}\n---\n"
               "apiVersion: rabbitmq.com/v1alpha1\nkind: SuperStream\nmetadata: {name: invoices, namespace: dev}\n"
               "spec: {name: invoices, vhost: shop, partitions: " +
                   std::to_string(std::count(keys.begin(), keys.end(), ',') + 1) + ", routingKeys: [" + keys + "]}\n";
      };
  write("eu, us");
  RunResult first = W("sync");
  EXPECT_EQ(first.exit_code, 0) << first.out;
  EXPECT_TRUE(Has(first.out, "Exchange invoices (vhost shop): created")) << first.out;
  EXPECT_TRUE(Has(first.out, "Queue invoices-us (vhost shop): created")) << first.out;
  EXPECT_TRUE(Has(first.out,
                  "SuperStream invoices (vhost shop): its exchange, 2 stream queue(s) and bindings are managed, "
                  "but stream clients use super streams from RabbitMQ 3.11 on"))
      << first.out;

  auto stream = Admin().Get("/api/queues/shop/invoices-us");
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(stream.value().value("type", ""), "stream");
  EXPECT_TRUE(stream.value().value("durable", false));
  auto bindings = Admin().Get("/api/exchanges/shop/invoices/bindings/source");
  ASSERT_TRUE(bindings.ok());
  ASSERT_EQ(bindings.value().size(), 2u) << bindings.value().dump();
  for (const Json& b : bindings.value()) {
    int order = b["routing_key"] == "eu" ? 0 : 1;
    EXPECT_EQ(b["destination"], "invoices-" + b["routing_key"].get<std::string>());
    EXPECT_EQ(b["arguments"], Json({{"x-stream-partition-order", order}})) << b.dump();
  }
  // The routing key picks the partition.
  RunResult routed =
      Shell("curl -s -u '" + kUser + ":" + kPassword +
            "' -X POST -H 'content-type: application/json' -d "
            "'{\"properties\":{},\"routing_key\":\"us\",\"payload\":\"invoice 1\",\"payload_encoding\":\"string\"}' " +
            kNode1 + "/api/exchanges/shop/invoices/publish");
  EXPECT_EQ(routed.out, "{\"routed\":true}");

  RunResult again = W("sync");
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_TRUE(Has(again.out, "0 created, 0 configured")) << again.out;

  write("eu, us, ap");
  RunResult grown = W("sync");
  EXPECT_EQ(grown.exit_code, 0) << grown.out;
  EXPECT_TRUE(Has(grown.out, "Queue invoices-ap (vhost shop): created")) << grown.out;
  EXPECT_TRUE(Has(grown.out, "2 created, 0 configured")) << "one stream and its binding: " << grown.out;

  // A partition leaving git is unbound, but its stream is kept: RabbitMQ would delete it with its
  // messages even when asked to delete it only if empty.
  write("eu, ap");
  RunResult pruned = W("sync --prune");
  EXPECT_TRUE(Has(pruned.out,
                  "Binding invoices -> queue:invoices-us [us] {\"x-stream-partition-order\":1} (vhost shop): pruned"))
      << pruned.out;
  EXPECT_TRUE(
      Has(pruned.out, "Queue invoices-us (vhost shop): needs action: a stream queue is never deleted by warren"))
      << pruned.out;
  EXPECT_TRUE(Admin().Get("/api/queues/shop/invoices-us").ok()) << "the stream and its message are still there";
}

// A User whose Secret is not in git: read from the Kubernetes cluster when there is one, and named
// as missing when there is none; a User naming no Secret gets a generated password, kept in one.
TEST_F(RabbitUsers, CredentialsNotInGitAreReadFromTheCluster) {
  EmulatorProcess emu("users");
  ASSERT_TRUE(emu.ok());
  std::string user = ReadText(dir_ + "/user.yaml");
  std::ofstream(dir_ + "/user.yaml") << user.substr(user.find("---") + 4);  // the User alone
  RunResult missing = W("diff");
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_TRUE(
      Has(missing.out,
          "spec.importCredentialsSecret names Secret dev/shop-app-credentials, which is not in the desired set"))
      << missing.out;

  ASSERT_EQ(emu.Kubectl("create namespace dev").exit_code, 0);
  ASSERT_EQ(emu.Kubectl("create secret generic shop-app-credentials -n dev --from-literal=username=shop-app "
                        "--from-literal=password=" +
                        kRotated)
                .exit_code,
            0);
  RunResult synced = Shell("KUBECONFIG=" + emu.kubeconfig() + " " + std::string(WARREN_BINARY) + " sync " + dir_ +
                           " -n dev --timeout 30s" + " --rabbitmq-url " + ClusterUrls() +
                           " --rabbitmq-credentials-file " + creds_ + " --rabbitmq-inventory " + kInventory);
  outputs_ += synced.out;
  EXPECT_EQ(synced.exit_code, 0) << synced.out;
  EXPECT_TRUE(Has(synced.out, "User shop-app: created")) << synced.out;
  EXPECT_EQ(As("shop-app", kRotated, "GET", "/api/whoami"), 200) << "the cluster Secret's password";

  // A User with no Secret named: without a cluster, an error; with one, a password generated once
  // and kept in Secret <name>-user-credentials, as the operator does.
  std::ofstream(dir_ + "/generated.yaml")
      << "apiVersion: rabbitmq.com/v1beta1\nkind: User\nmetadata: {name: shop-monitor, namespace: dev}\n"
         "spec: {tags: [monitoring]}\n";
  RunResult no_cluster = W("diff");
  EXPECT_EQ(no_cluster.exit_code, 2) << no_cluster.out;
  EXPECT_TRUE(
      Has(no_cluster.out,
          "User dev/shop-monitor has no spec.importCredentialsSecret, and Secret dev/shop-monitor-user-credentials"))
      << no_cluster.out;
  std::string with_cluster = "KUBECONFIG=" + emu.kubeconfig() + " " + std::string(WARREN_BINARY) + " sync " + dir_ +
                             " -n dev --timeout 30s" + " --rabbitmq-url " + ClusterUrls() +
                             " --rabbitmq-credentials-file " + creds_ + " --rabbitmq-inventory " + kInventory;
  RunResult generated = Shell(with_cluster);
  outputs_ += generated.out;
  EXPECT_EQ(generated.exit_code, 0) << generated.out;
  EXPECT_TRUE(Has(generated.out, "User shop-monitor: created")) << generated.out;
  RunResult kept = emu.Kubectl("get secret shop-monitor-user-credentials -n dev -o jsonpath={.data.password}");
  ASSERT_EQ(kept.exit_code, 0) << kept.out;
  std::string password = Base64Decode(kept.out).value_or("");
  ASSERT_GE(password.size(), 32u);
  EXPECT_EQ(As("shop-monitor", password, "GET", "/api/whoami"), 200) << "the generated password works";
  RunResult again = Shell(with_cluster);
  EXPECT_TRUE(Has(again.out, "0 created, 0 configured")) << "generated once, then kept: " << again.out;
  EXPECT_EQ(emu.Kubectl("get secret shop-monitor-user-credentials -n dev -o jsonpath={.data.password}").out, kept.out);
  (void)Admin().Delete("/api/users/shop-monitor");
  outputs_ += again.out;
  for (const std::string& secret : {kRotated, password}) EXPECT_FALSE(Has(outputs_, secret));
}

// The hash scheme RabbitMQ uses, checked against a hash the broker made.
TEST(RabbitPasswordHash, MatchesWhatTheBrokerStores) {
  auto guest = Admin().Get("/api/users/guest");
  ASSERT_TRUE(guest.ok());
  std::string hash = guest.value().value("password_hash", "");
  std::string algorithm = guest.value().value("hashing_algorithm", "");
  EXPECT_TRUE(rabbit::PasswordMatches("guest", hash, algorithm));
  EXPECT_FALSE(rabbit::PasswordMatches("guesT", hash, algorithm));
  EXPECT_FALSE(rabbit::PasswordMatches("guest", hash, "rabbit_password_hashing_sha512"));
  EXPECT_TRUE(rabbit::PasswordMatches("pw", rabbit::HashPassword("pw", "salt", "rabbit_password_hashing_sha512"),
                                      "rabbit_password_hashing_sha512"));
}

}  // namespace
}  // namespace warren::testing
