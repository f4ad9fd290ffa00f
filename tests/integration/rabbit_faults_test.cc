// warren sync of the reference topology when the RabbitMQ management API misbehaves, through a
// proxy in front of node 1 of the real cluster: 503s retried through, a connection cut and
// retried, a lasting 500 named with the object, node 1 going down mid-sync (the other nodes
// take over), and the only node going down mid-sync (an error, never exit 0). After each, a
// plain re-run converges.
#include <gtest/gtest.h>

#include "tests/integration/emulator_process.h"
#include "tests/integration/fault_proxy.h"
#include "tests/integration/rabbit_cluster.h"

namespace warren::testing {
namespace {

const std::string kUser = "warren-faults-it";
const std::string kPassword = "Faults-pw-2b6d-never-printed";
const std::string kInventory = "warren-faults-inventory";
const std::string kManifests = std::string(WARREN_SOURCE_DIR) + "/manifests/rabbitmq";

class RabbitFaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(Admin().Put("/api/users/" + kUser, {{"password", kPassword}, {"tags", "administrator"}}).ok());
    creds_ = ManifestDir("faults-creds", {{"credentials", kUser + ":" + kPassword + "\n"}}) + "/credentials";
  }
  static void TearDownTestSuite() { (void)Admin().Delete("/api/users/" + kUser); }
  void SetUp() override {
    Clean();
    std::string urls = ClusterUrls();
    others_ = urls.substr(urls.find(',') + 1);
    proxy_ = std::make_unique<FaultProxy>(urls.substr(0, urls.find(',')));
  }
  void TearDown() override {
    proxy_.reset();
    Clean();
  }
  static void Clean() {
    (void)Admin().Delete("/api/vhosts/orders");
    (void)Admin().Delete("/api/global-parameters/" + kInventory);
  }
  static RunResult Sync(const std::string& urls) {
    RunResult r = Shell("env -u KUBECONFIG " + std::string(WARREN_BINARY) + " sync " + kManifests + " --rabbitmq-url " +
                        urls + " --rabbitmq-credentials-file " + creds_ + " --rabbitmq-inventory " + kInventory +
                        " --rabbitmq-timeout 5s");
    EXPECT_FALSE(Has(r.out, kPassword));
    return r;
  }
  static RunResult Diff() {
    return Shell("env -u KUBECONFIG " + std::string(WARREN_BINARY) + " diff " + kManifests + " --rabbitmq-url " +
                 ClusterUrls() + " --rabbitmq-credentials-file " + creds_ + " --rabbitmq-inventory " + kInventory);
  }
  // With the faults gone: one more sync converges and diff is clean.
  void ExpectRecovery() {
    RunResult again = Sync(ClusterUrls());
    EXPECT_EQ(again.exit_code, 0) << again.out;
    RunResult diff = Diff();
    EXPECT_EQ(diff.exit_code, 0) << diff.out;
  }

  static std::string creds_;
  std::string others_;
  std::unique_ptr<FaultProxy> proxy_;
};
std::string RabbitFaults::creds_;

TEST_F(RabbitFaults, Transient503sAndACutConnectionAreRetriedThrough) {
  proxy_->Add({"PUT", "/api/queues/", 503, 2});
  proxy_->Add({"PUT", "/api/policies/", 503, 1});
  proxy_->Add({"GET", "/api/definitions", 0, 1});  // cut mid-answer
  RunResult r = Sync(proxy_->url());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(Has(r.out, "6 created")) << r.out;
  EXPECT_EQ(proxy_->faults_left(), 0) << "every fault was met";
  EXPECT_EQ(Diff().exit_code, 0);
}

TEST_F(RabbitFaults, ALasting500IsNamedWithTheObjectAndTheRestIsApplied) {
  proxy_->Add({"PUT", "/api/policies/orders/ha-all", 500, -1});
  RunResult r = Sync(proxy_->url());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(Has(r.out, "Policy ha-all (vhost orders): failed: PUT /api/policies/orders/ha-all: 500")) << r.out;
  EXPECT_TRUE(Has(r.out, "Queue ha.orders (vhost orders): created"))
      << "one failure does not stop the others: " << r.out;
  proxy_.reset();
  ExpectRecovery();
}

TEST_F(RabbitFaults, NodeDownMidSyncTheOtherNodesTakeOver) {
  proxy_->DownAfter(4);
  RunResult r = Sync(proxy_->url() + "," + others_);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(Has(r.out, "6 created")) << r.out;
  EXPECT_EQ(proxy_->forwarded(), 4) << "node 1 answered four requests, then was gone";
  EXPECT_EQ(Diff().exit_code, 0);
}

TEST_F(RabbitFaults, TheOnlyNodeDownMidSyncIsAnErrorNeverSuccess) {
  proxy_->DownAfter(4);
  RunResult r = Sync(proxy_->url());
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_TRUE(Has(r.out, "no RabbitMQ management node answered")) << r.out;
  proxy_.reset();
  ExpectRecovery();
}

}  // namespace
}  // namespace warren::testing
