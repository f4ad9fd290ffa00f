// warren run on the whole stack: the API emulator, a real 3-node RabbitMQ cluster, a real git
// server (git-http-backend behind lighttpd, HTTPS and basic auth) and a real Prometheus. The agent
// applies the reference set from git, becomes ready, corrects RabbitMQ drift at its health tick,
// applies a pushed commit at the next poll, and its /metrics is scraped by Prometheus. No password,
// token or Secret value in its log.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "agent/webhook/webhook.h"
#include "tests/integration/agent_e2e_fixture.h"

namespace warren::testing {
namespace {

TEST_F(AgentEndToEnd, FromGitToClusterAndBrokerThenDriftAndANewCommit) {
  auto agent = Run();
  ASSERT_TRUE(Eventually([&] { return agent->Get("/readyz").first == 200; }, 120)) << agent->Log();
  std::string first = Read(Work() + "/.git/refs/heads/main");
  EXPECT_EQ(agent->Metric(R"(warren_last_applied_commit_info{commit=")" + first + R"(",source="warren"})"), 1)
      << agent->Get("/metrics").second;
  EXPECT_TRUE(Admin().Get("/api/queues/orders/ha.orders").ok());
  EXPECT_TRUE(Eventually([&] { return agent->Metric(R"(warren_rabbitmq_nodes_running{source="warren"})") == 3; }, 10));
  EXPECT_EQ(agent->Metric(R"(warren_rabbitmq_nodes_expected{source="warren"})"), 3);

  // RabbitMQ drift: found at the next health tick and corrected.
  ASSERT_EQ(Ctl(1, R"(set_policy -p orders ha-all '^ha\.' '{"ha-mode":"exactly","ha-params":2}')").exit_code, 0);
  EXPECT_TRUE(Eventually(
      [&] {
        auto p = Admin().Get("/api/policies/orders/ha-all");
        return p.ok() && p.value()["definition"].value("ha-mode", "") == "all";
      },
      20))
      << agent->Log();

  // A new commit: a ConfigMap key and a queue added, at the next poll.
  std::string cm = Read(Work() + "/deploy/kubernetes/configmap.yaml");
  cm.replace(cm.find("\ndata:\n"), 7, "\ndata:\n  added-by-commit: \"yes\"\n");
  std::ofstream(Work() + "/deploy/kubernetes/configmap.yaml") << cm;
  std::ofstream(Work() + "/deploy/rabbitmq/queue-new.yaml")
      << "apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: orders-new, namespace: dev}\n"
      << "spec: {name: orders.new, vhost: orders, durable: true, rabbitmqClusterReference: {name: rabbitmq}}\n";
  std::string second = Commit("a key and a queue");
  EXPECT_TRUE(Eventually(
      [&] {
        return agent->Metric(R"(warren_last_applied_commit_info{commit=")" + second + R"(",source="warren"})") == 1;
      },
      30))
      << agent->Log();
  RunResult got = emu_->Kubectl("get configmap rabbitmq-config -n dev -o json");
  EXPECT_EQ(Json::parse(got.out, nullptr, false)["data"].value("added-by-commit", ""), "yes")
      << got.out << agent->Log();
  EXPECT_TRUE(Admin().Get("/api/queues/orders/orders.new").ok());
  EXPECT_EQ(agent->Metric(R"(warren_last_applied_commit_info{commit=")" + first + R"(",source="warren"})"), -1);

  // A real Prometheus scrapes /metrics.
  int prom = StartPrometheus(agent->port());
  EXPECT_TRUE(Eventually(
      [&] {
        net::HttpClient http({});
        auto r =
            http.Send({"GET",
                       "http://127.0.0.1:" + std::to_string(prom) + "/api/v1/query?query=warren_rabbitmq_nodes_running",
                       {},
                       ""});
        if (!r.ok() || r.value().status != 200) return false;
        Json j = Json::parse(r.value().body, nullptr, false);
        return j.is_object() && !j["data"]["result"].empty() && j["data"]["result"][0]["value"][1] == "3";
      },
      30))
      << Read(dir_ + "/prometheus.log");

  auto [code, seconds] = agent->Kill(SIGTERM);
  EXPECT_EQ(code, 0);
  EXPECT_LT(seconds, 10);
  std::string log = agent->Log();
  for (const std::string& secret : {kPassword, std::string(kSecretValue), Read(Srv() + "/password")})
    EXPECT_EQ(log.find(secret), std::string::npos) << "leaked: " << secret;
  (void)Admin().Delete("/api/users/" + kUser);
}

TEST_F(AgentEndToEnd, WebhooksTriggerAndCommitStatusesReportSyncHealthAndMirrors) {
  ForgeStub forge(kForgeToken);
  std::ofstream(dir_ + "/hook-secret") << kWebhookSecret << "\n";
  std::ofstream(dir_ + "/forge-token") << kForgeToken << "\n";
  std::string repo_url = "https://127.0.0.1:" + https_port_ + "/git/app.git";
  // Only webhooks fetch: the poll interval is an hour.
  auto agent = Run({"--webhook-secret-file", dir_ + "/hook-secret", "--status-provider", "github", "--status-api-url",
                    forge.url("github"), "--status-repo", "org/app", "--status-token-file", dir_ + "/forge-token",
                    "--status-target-url", "https://warren.example/ui"},
                   "1h");
  ASSERT_TRUE(Eventually([&] { return agent->Get("/readyz").first == 200; }, 120)) << agent->Log();
  std::string first = Read(Work() + "/.git/refs/heads/main");
  EXPECT_TRUE(Eventually(
      [&] {
        return forge.States(first, "warren/sync") == std::vector<std::string>{"pending", "success"};
      },
      10));
  EXPECT_TRUE(
      Eventually([&] { return forge.States(first, "warren/health") == std::vector<std::string>{"success"}; }, 10))
      << agent->Log();
  EXPECT_TRUE(Eventually(
      [&] {
        return !forge.States(first, "warren/mirrors").empty() &&
               forge.States(first, "warren/mirrors").back() == "success";
      },
      30));

  // A push and its signed GitHub webhook: fetched and applied at once, pending then success.
  std::ofstream(Work() + "/deploy/rabbitmq/queue-hook.yaml")
      << "apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: orders-hook, namespace: dev}\n"
      << "spec: {name: orders.hook, vhost: orders, durable: true, rabbitmqClusterReference: {name: rabbitmq}}\n";
  std::string second = Commit("a queue, announced by webhook");
  std::string body = PushBody(repo_url, second);
  std::string signature = "sha256=" + webhook::HmacSha256Hex(kWebhookSecret, body);
  EXPECT_EQ(
      Deliver(*agent, "github",
              {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "d-1"}, {"X-Hub-Signature-256", signature}}, body),
      202);
  EXPECT_TRUE(Eventually(
      [&] {
        return forge.States(second, "warren/sync") == std::vector<std::string>{"pending", "success"};
      },
      20))
      << agent->Log();
  EXPECT_TRUE(Admin().Get("/api/queues/orders/orders.hook").ok());

  // What must trigger nothing: a wrong signature, a SHA-1 signature alone, a replay, a huge body.
  double polls = agent->Metric(R"(warren_git_polls_total{result="unchanged",source="warren"})");
  std::string sha1 = "sha1=" + std::string(40, 'a');
  EXPECT_EQ(Deliver(*agent, "github",
                    {{"X-GitHub-Event", "push"},
                     {"X-GitHub-Delivery", "d-2"},
                     {"X-Hub-Signature-256", "sha256=" + std::string(64, '0')}},
                    body),
            401);
  EXPECT_EQ(Deliver(*agent, "github",
                    {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "d-3"}, {"X-Hub-Signature", sha1}}, body),
            401);
  EXPECT_EQ(
      Deliver(*agent, "github",
              {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "d-1"}, {"X-Hub-Signature-256", signature}}, body),
      200);
  EXPECT_EQ(Deliver(*agent, "gitlab", {{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Token", "wrong"}},
                    PushBody(repo_url, second, true)),
            401);
  EXPECT_EQ(Deliver(*agent, "github", {{"X-GitHub-Event", "push"}, {"X-Hub-Signature-256", signature}},
                    std::string(1100000, ' ')),
            413);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(agent->Metric(R"(warren_git_polls_total{result="unchanged",source="warren"})"), polls);
  EXPECT_EQ(agent->Metric(R"(warren_webhooks_total{forge="github",result="unauthorized"})"), 2);
  EXPECT_EQ(agent->Metric(R"(warren_webhooks_total{forge="github",result="duplicate"})"), 1);
  EXPECT_EQ(agent->Metric(R"(warren_webhooks_total{forge="github",result="too_large"})"), 1);

  // Gitea and GitLab deliveries trigger too; the forge answering 502, then 403 with Retry-After:
  // the statuses arrive after the retries, and the reconcile does not wait for them.
  forge.Fail(1, 502);
  forge.Fail(1, 403, 1);
  std::ofstream(Work() + "/deploy/marker-gitea") << "1";
  std::string third = Commit("gitea push");
  std::string gitea_body = PushBody(repo_url, third);
  EXPECT_EQ(Deliver(*agent, "gitea",
                    {{"X-Gitea-Event", "push"},
                     {"X-Gitea-Delivery", "g-1"},
                     {"X-Gitea-Signature", webhook::HmacSha256Hex(kWebhookSecret, gitea_body)}},
                    gitea_body),
            202);
  EXPECT_TRUE(Eventually(
      [&] {
        return agent->Metric(R"(warren_last_applied_commit_info{commit=")" + third + R"(",source="warren"})") == 1;
      },
      20))
      << agent->Log();
  // (A pending still queued behind the retries is superseded by the success: the last state counts.)
  EXPECT_TRUE(Eventually(
      [&] {
        auto s = forge.States(third, "warren/sync");
        return !s.empty() && s.back() == "success";
      },
      30))
      << agent->Log();
  EXPECT_GE(forge.requests(), static_cast<int>(forge.Statuses().size()) + 2);  // the two refused attempts were retried
  std::ofstream(Work() + "/deploy/marker-gitlab") << "1";
  std::string fourth = Commit("gitlab push");
  EXPECT_EQ(
      Deliver(*agent, "gitlab",
              {{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Event-UUID", "l-1"}, {"X-Gitlab-Token", kWebhookSecret}},
              PushBody(repo_url, fourth, true)),
      202);
  EXPECT_TRUE(Eventually(
      [&] {
        return forge.States(fourth, "warren/sync") == std::vector<std::string>{"pending", "success"};
      },
      20))
      << agent->Log();

  // Node 3 stops: health and mirrors fail on the live commit within a health interval or two,
  // and recover once it is back.
  ASSERT_EQ(Shell("bash " + kClusterScript + " stop-app 3").exit_code, 0);
  EXPECT_TRUE(Eventually(
      [&] {
        auto h = forge.States(fourth, "warren/health"), m = forge.States(fourth, "warren/mirrors");
        return !h.empty() && h.back() == "failure" && !m.empty() && m.back() == "failure";
      },
      20))
      << agent->Log();
  ASSERT_EQ(Shell("bash " + kClusterScript + " start-app 3").exit_code, 0);
  EXPECT_TRUE(Eventually(
      [&] {
        auto h = forge.States(fourth, "warren/health"), m = forge.States(fourth, "warren/mirrors");
        return h.back() == "success" && m.back() == "success";
      },
      90))
      << agent->Log();
  for (const auto& st : forge.Statuses()) {
    EXPECT_LE(st.description.size(), 140u);
    EXPECT_EQ(st.target_url, "https://warren.example/ui");
  }

  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
  std::string log = agent->Log();
  for (const std::string& secret : {kWebhookSecret, kForgeToken, kPassword, std::string(kSecretValue)})
    EXPECT_EQ(log.find(secret), std::string::npos) << "leaked: " << secret;
  (void)Admin().Delete("/api/users/" + kUser);
}

// warren sync --report-status, for CI pipelines: Gitea's and GitLab's APIs, and a refused token.
TEST_F(AgentEndToEnd, OneShotSyncReportsStatusesToGiteaAndGitLab) {
  ForgeStub forge(kForgeToken);
  std::ofstream(dir_ + "/forge-token") << kForgeToken << "\n";
  std::ofstream(dir_ + "/wrong-token") << "not-the-token\n";
  std::string sha = Read(Work() + "/.git/refs/heads/main");
  std::string common = "sync --repo https://127.0.0.1:" + https_port_ + "/git/app.git --auth-file " + dir_ +
                       "/git-auth --ca-file " + Srv() + "/ca.crt --path deploy --cache-dir " + dir_ +
                       "/cache -n dev --timeout 60 --force-conflicts --rabbitmq-url " + ClusterUrls() +
                       " --rabbitmq-credentials-file " + dir_ + "/rabbitmq-credentials --report-status ";
  RunResult gitea = emu_->Warren(common + "--status-provider gitea --status-api-url " + forge.url("gitea") +
                                 " --status-repo org/app --status-token-file " + dir_ + "/forge-token");
  EXPECT_EQ(gitea.exit_code, 0) << gitea.out;
  EXPECT_EQ(forge.States(sha, "warren/sync"), (std::vector<std::string>{"pending", "success"}));
  EXPECT_EQ(forge.States(sha, "warren/health"), std::vector<std::string>{"success"});
  EXPECT_EQ(forge.States(sha, "warren/mirrors").size(), 1u);
  RunResult gitlab = emu_->Warren(common + "--status-provider gitlab --status-api-url " + forge.url("gitlab") +
                                  " --status-repo 42 --status-token-file " + dir_ + "/forge-token");
  EXPECT_EQ(gitlab.exit_code, 0) << gitlab.out;
  int on_gitlab = 0;
  for (const auto& st : forge.Statuses())
    on_gitlab += st.forge == "gitlab" && (st.state == "running" || st.state == "success");
  EXPECT_GE(on_gitlab, 3);
  RunResult refused = emu_->Warren(common + "--status-provider github --status-api-url " + forge.url("github") +
                                   " --status-repo org/app --status-token-file " + dir_ + "/wrong-token");
  EXPECT_TRUE(Has(refused.out, "commit status not posted")) << refused.out;
  EXPECT_TRUE(Has(refused.out, "401")) << refused.out;
  for (const RunResult& r : {gitea, gitlab, refused}) {
    EXPECT_FALSE(Has(r.out, kForgeToken));
    EXPECT_FALSE(Has(r.out, kPassword));
  }
  (void)Admin().Delete("/api/users/" + kUser);
}

// Prune off, a queue renamed in git: the old queue is left in place, which is the user's choice —
// warren/sync says success with a note, the orphan gauge counts it, and nothing is retried.
TEST_F(AgentEndToEnd, ARenamedQueueWithPruneOffIsLeftInPlaceAndTheCommitIsInSync) {
  ForgeStub forge(kForgeToken);
  std::ofstream(dir_ + "/forge-token") << kForgeToken << "\n";
  prune_ = false;
  auto agent = Run({"--status-provider", "github", "--status-api-url", forge.url("github"), "--status-repo", "org/app",
                    "--status-token-file", dir_ + "/forge-token"});
  ASSERT_TRUE(Eventually([&] { return agent->Get("/readyz").first == 200; }, 120)) << agent->Log();

  std::string topology = Read(Work() + "/deploy/rabbitmq/topology.yaml");
  ASSERT_NE(topology.find("name: ha.orders"), std::string::npos);
  topology.replace(topology.find("name: ha.orders"), 15, "name: ha.payments");
  std::ofstream(Work() + "/deploy/rabbitmq/topology.yaml") << topology;
  std::string second = Commit("rename ha.orders to ha.payments");
  ASSERT_TRUE(Eventually(
      [&] {
        return forge.States(second, "warren/sync") == std::vector<std::string>{"pending", "success"};
      },
      60))
      << agent->Log();
  std::string description;
  for (const PostedStatus& st : forge.Statuses())
    if (st.sha == second && st.context == "warren/sync" && st.state == "success") description = st.description;
  EXPECT_TRUE(
      Has(description, "; 1 object removed from git left in place: Queue ha.orders (vhost orders) — prune is off"))
      << description;
  EXPECT_TRUE(Admin().Get("/api/queues/orders/ha.payments").ok());
  EXPECT_TRUE(Admin().Get("/api/queues/orders/ha.orders").ok()) << "left in place";
  EXPECT_EQ(agent->Metric(R"(warren_orphaned_objects{kind="Queue",source="warren"})"), 1)
      << agent->Get("/metrics").second;

  // Several health intervals (2 s) later: no retry, no failure, and the left queue is not drift.
  double reconciles = agent->Metric(R"(warren_reconcile_total{result="success",source="warren"})");
  std::this_thread::sleep_for(std::chrono::seconds(7));
  EXPECT_EQ(agent->Metric(R"(warren_reconcile_total{result="success",source="warren"})"), reconciles) << agent->Log();
  EXPECT_EQ(agent->Metric(R"(warren_reconcile_total{result="failure",source="warren"})"), -1) << agent->Log();
  EXPECT_EQ(agent->Metric(R"(warren_drifted_objects{kind="Queue",source="warren"})"), -1) << agent->Log();
  EXPECT_FALSE(Has(agent->Log(), "reconcile failed")) << agent->Log();
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

}  // namespace
}  // namespace warren::testing
