// The agent's small parts that need no server: Go durations, the metrics text, the config file,
// and stop tokens (a child stops with its parent, a wait ends at the stop).
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "agent/forge/sync_status.h"
#include "agent/run/config_file.h"
#include "agent/run/metrics.h"
#include "agent/util/cancel.h"
#include "agent/webhook/webhook.h"
#include "diff/model/duration.h"

namespace warren {
namespace {

using std::chrono::milliseconds;

TEST(Duration, GoSpellingsAndBareSeconds) {
  EXPECT_EQ(ParseDuration("500ms").value(), milliseconds(500));
  EXPECT_EQ(ParseDuration("90s").value(), milliseconds(90000));
  EXPECT_EQ(ParseDuration("5m").value(), milliseconds(300000));
  EXPECT_EQ(ParseDuration("1h30m").value(), milliseconds(5400000));
  EXPECT_EQ(ParseDuration("1.5h").value(), milliseconds(5400000));
  EXPECT_EQ(ParseDuration("2m3.5s").value(), milliseconds(123500));
  EXPECT_EQ(ParseDuration("60").value(), milliseconds(60000));  // a bare number is seconds
  EXPECT_EQ(FormatDuration(milliseconds(5400000)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(300000)), "5m");
  EXPECT_EQ(FormatDuration(milliseconds(3600000)), "1h");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
}

TEST(Duration, BadInputNamesTheAcceptedForm) {
  for (const char* bad : {"", "5", "-5s", "5x", "m", "1.2.3s", "5 m", "99999999999999h"}) {
    if (std::string(bad) == "5") continue;  // bare seconds are fine
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_NE(d.status().message().find("Go duration like"), std::string::npos) << d.status().message();
  }
}

TEST(Metrics, PrometheusTextWithHelpTypeAndEscapedLabels) {
  run::Metrics m;
  m.Inc("warren_reconcile_total", {{"source", "a"}, {"result", "success"}});
  m.Inc("warren_reconcile_total", {{"source", "a"}, {"result", "success"}});
  m.Set("warren_last_applied_commit_info", {{"source", "a\"b\\c\nd"}, {"commit", "abc"}}, 1);
  m.Observe("warren_reconcile_duration_seconds", {{"source", "a"}}, 0.3);
  m.Observe("warren_reconcile_duration_seconds", {{"source", "a"}}, 7);
  std::string text = m.Render();
  EXPECT_NE(text.find("# TYPE warren_reconcile_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("warren_reconcile_total{result=\"success\",source=\"a\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("source=\"a\\\"b\\\\c\\nd\""), std::string::npos) << text;
  EXPECT_NE(text.find("warren_reconcile_duration_seconds_bucket{source=\"a\",le=\"0.5\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("warren_reconcile_duration_seconds_bucket{source=\"a\",le=\"+Inf\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("warren_reconcile_duration_seconds_sum{source=\"a\"} 7.3\n"), std::string::npos) << text;
  m.Clear("warren_last_applied_commit_info", {{"commit", "abc"}});
  EXPECT_EQ(m.Render().find("commit=\"abc\""), std::string::npos);
  EXPECT_THROW(m.Inc("undeclared_total"), std::logic_error);
}

TEST(ConfigFile, SourcesWithDefaultsAndTheirOwnSettings) {
  run::SourceSpec defaults;
  defaults.interval = milliseconds(300000);
  defaults.ns = "dev";
  auto s = run::ParseConfig(R"(
sources:
- name: orders
  repo: https://git.example.com/rabbitmq.git
  ref: release
  path: clusters/prod
  interval: 90s
  prune: true
  rabbitmq: {urls: [http://a:15672, http://b:15672], credentialsFile: /etc/warren/rabbitmq, timeout: 5s}
- name: local
  paths: [/srv/manifests]
  namespace: other
  decryption: {keyFiles: [/etc/warren/age.txt], secret: warren/sops-age}
)",
                            "warren.yaml", defaults);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s.value().size(), 2u);
  const run::SourceSpec& a = s.value()[0];
  EXPECT_EQ(a.name, "orders");
  EXPECT_EQ(a.desired.git->url, "https://git.example.com/rabbitmq.git");
  EXPECT_EQ(a.desired.git->ref, "release");
  EXPECT_EQ(a.interval, milliseconds(90000));
  EXPECT_TRUE(a.prune);
  EXPECT_EQ(a.ns, "dev");
  EXPECT_EQ(a.rabbit->urls.size(), 2u);
  EXPECT_EQ(a.rabbit->timeout, milliseconds(5000));
  EXPECT_EQ(a.KubeInventoryName(), "warren-inventory-orders");
  const run::SourceSpec& b = s.value()[1];
  EXPECT_FALSE(b.desired.git.has_value());
  EXPECT_EQ(b.desired.paths, std::vector<std::string>{"/srv/manifests"});
  EXPECT_EQ(b.ns, "other");
  EXPECT_EQ(b.interval, milliseconds(300000));
  EXPECT_FALSE(b.rabbit.has_value());
  EXPECT_EQ(b.desired.decryption.key_files, std::vector<std::string>{"/etc/warren/age.txt"});
  EXPECT_EQ(b.desired.decryption.secret, "warren/sops-age");
  EXPECT_FALSE(a.desired.decryption.configured());
}

TEST(ConfigFile, MistakesAreNamedWithTheFileAndTheKey) {
  auto err = [](const std::string& text) {
    auto s = run::ParseConfig(text, "warren.yaml", {});
    return s.ok() ? std::string("(accepted)") : s.status().message();
  };
  EXPECT_EQ(err("sources:\n- name: a\n  paths: [x]\n  intervall: 5m\n"),
            "warren.yaml: sources[0]: unknown key \"intervall\"");
  EXPECT_NE(err("sources:\n- name: a\n  paths: [x]\n  interval: soon\n")
                .find("sources[0].interval: invalid duration \"soon\""),
            std::string::npos);
  EXPECT_EQ(err("sources:\n- name: a\n"), "warren.yaml: sources[0]: give either repo or paths");
  EXPECT_NE(err("sources:\n- {name: a, paths: [/srv/a]}\n- {name: a, paths: [/srv/b]}\n").find("\"a\" is used twice"),
            std::string::npos);
  EXPECT_NE(err("sources:\n- {name: Bad_Name, paths: [x]}\n").find("must be a DNS label"), std::string::npos);
  EXPECT_NE(err("sources:\n- {name: a, paths: [x], rabbitmq: {}}\n").find("rabbitmq.urls"), std::string::npos);
  EXPECT_EQ(err("sources: []\n"), "warren.yaml: sources must be a non-empty list");
  EXPECT_EQ(err("sources:\n- {name: a, paths: [x], decryption: {secrets: x}}\n"),
            "warren.yaml: sources[0].decryption: unknown key \"secrets\"");
  EXPECT_NE(err("sources: [\n").find("warren.yaml"), std::string::npos);
}

TEST(Stop, AChildStopsWithItsParentAndAWaitEndsAtTheStop) {
  StopSource parent;
  StopSource child = parent.Child();
  StopSource other = parent.Child();
  other.RequestStop();
  EXPECT_FALSE(parent.stop_requested());
  EXPECT_FALSE(child.stop_requested());
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(50));
    parent.RequestStop();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(child.token().WaitFor(std::chrono::hours(1)));  // woken by the parent's stop
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  stopper.join();
  EXPECT_TRUE(child.stop_requested());
  EXPECT_TRUE(parent.Child().stop_requested());  // born stopped
  EXPECT_FALSE(StopToken().stop_requested());    // the default never stops
  EXPECT_TRUE(StopToken().WaitFor(milliseconds(1)));
}

TEST(Webhook, HmacAndConstantTimeCompare) {
  // RFC 4231 test case 2.
  EXPECT_EQ(webhook::HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(webhook::ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(webhook::ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(webhook::ConstantTimeEquals("abc", "abcd"));
}

TEST(Webhook, VerifiedBeforeParsedAndOnlyPushesAct) {
  std::string body =
      R"({"ref":"refs/heads/main","after":"0123456789012345678901234567890123456789","repository":{"clone_url":"https://git.example.com/org/app.git"}})";
  std::map<std::string, std::string> headers = {
      {"X-GitHub-Event", "push"},
      {"X-GitHub-Delivery", "1"},
      {"X-Hub-Signature-256", "sha256=" + webhook::HmacSha256Hex("s3", body)}};
  auto header = [&](const std::string& h) { return headers.count(h) ? headers[h] : std::string(); };
  webhook::Verdict ok = webhook::Receive(webhook::Forge::kGitHub, "s3", header, body);
  ASSERT_TRUE(ok.push.has_value());
  EXPECT_EQ(ok.status, 202);
  EXPECT_TRUE(webhook::Matches(*ok.push, "https://git.example.com/org/app", "main"));
  EXPECT_TRUE(webhook::Matches(*ok.push, "ssh://git@git.example.com/org/app.git", "main"));
  EXPECT_FALSE(webhook::Matches(*ok.push, "https://git.example.com/org/other.git", "main"));
  EXPECT_FALSE(webhook::Matches(*ok.push, "https://git.example.com/org/app.git", "release"));
  EXPECT_EQ(webhook::Receive(webhook::Forge::kGitHub, "other-secret", header, body).status, 401);
  headers.erase("X-Hub-Signature-256");
  headers["X-Hub-Signature"] = "sha1=0000";
  webhook::Verdict sha1 = webhook::Receive(webhook::Forge::kGitHub, "s3", header, body);
  EXPECT_EQ(sha1.status, 401);
  EXPECT_EQ(sha1.body, "signature or token missing or wrong\n");  // the same whatever was wrong
  // A valid signature over something that is not a push payload: 400, nothing to act on.
  headers = {{"X-Gitea-Event", "push"}, {"X-Gitea-Signature", webhook::HmacSha256Hex("s3", "[1,2]")}};
  EXPECT_EQ(webhook::Receive(webhook::Forge::kGitea, "s3", header, "[1,2]").status, 400);
  headers = {{"X-Gitlab-Event", "Note Hook"}, {"X-Gitlab-Token", "s3"}};
  webhook::Verdict note = webhook::Receive(webhook::Forge::kGitLab, "s3", header, "{}");
  EXPECT_EQ(note.status, 202);
  EXPECT_FALSE(note.push.has_value());
}

// What a follower hands the leader: the forge's event headers and a signature of its own, never
// the forge's token (GitLab sends the secret itself).
TEST(Webhook, AHandedOnDeliveryIsSignedByTheReplicaNotTheForge) {
  std::string body =
      R"({"object_kind":"push","ref":"refs/heads/main","after":"0123456789012345678901234567890123456789","project":{"git_http_url":"https://git.example.com/org/app.git"}})";
  std::map<std::string, std::string> headers = {
      {"X-Gitlab-Event", "Push Hook"},
      {"X-Gitlab-Event-UUID", "u-1"},
      {webhook::kForwardSignatureHeader, webhook::ForwardSignature("s3", body)}};
  auto header = [&](const std::string& h) { return headers.count(h) ? headers[h] : std::string(); };
  webhook::Verdict ok = webhook::Receive(webhook::Forge::kGitLab, "s3", header, body);
  EXPECT_EQ(ok.status, 202) << ok.body;
  ASSERT_TRUE(ok.push.has_value());
  EXPECT_EQ(ok.delivery, "u-1");
  EXPECT_EQ(webhook::Receive(webhook::Forge::kGitLab, "other", header, body).status, 401);
  headers[webhook::kForwardSignatureHeader] = webhook::ForwardSignature("s3", body + " ");
  EXPECT_EQ(webhook::Receive(webhook::Forge::kGitLab, "s3", header, body).status, 401) << "signed over other bytes";

  for (const char* name :
       {"X-Gitlab-Token", "x-hub-signature-256", "X-Hub-Signature", "X-Gitea-Signature", "X-Forgejo-Signature"})
    EXPECT_TRUE(webhook::IsCredentialHeader(name)) << name;
  for (const char* name : {"X-GitHub-Event", "X-Gitlab-Event-UUID", "X-Gitea-Delivery", "Content-Type"})
    EXPECT_FALSE(webhook::IsCredentialHeader(name)) << name;
}

TEST(Webhook, ReplaysAreDroppedWithinTheLogsCapacity) {
  webhook::DeliveryLog log(2);
  EXPECT_TRUE(log.FirstTime("a"));
  EXPECT_FALSE(log.FirstTime("a"));
  EXPECT_TRUE(log.FirstTime("b"));
  EXPECT_TRUE(log.FirstTime("c"));  // "a" falls out
  EXPECT_TRUE(log.FirstTime("a"));
  EXPECT_TRUE(log.FirstTime(""));
  EXPECT_TRUE(log.FirstTime(""));
}

// The warren/sync status is written in one place for sync and the agent.
TEST(SyncStatus, ErrorFailureNamingTheFirstFailedThenSuccessWithCorrections) {
  using diff::Outcome;
  auto result = [](const std::string& name, Outcome outcome, const std::string& message) {
    diff::ApplyResult r;
    r.object.key = {"apps", "StatefulSet", "dev", name};
    r.outcome = outcome;
    r.message = message;
    return r;
  };
  reconcile::Report broken;
  broken.error = Status::Unavailable("RabbitMQ unreachable");
  EXPECT_EQ(forge::SyncStatusOf(broken).state, forge::State::kError);
  EXPECT_EQ(forge::SyncStatusOf(broken).description, "RabbitMQ unreachable");

  reconcile::Report partly;
  partly.applied.results = {result("a", Outcome::kSkipped, "conflict"), result("b", Outcome::kConfigured, ""),
                            result("c", Outcome::kFailed, "500")};
  forge::StatusUpdate failure = forge::SyncStatusOf(partly);
  EXPECT_EQ(failure.state, forge::State::kFailure);
  EXPECT_EQ(failure.description, "2 not in sync: StatefulSet dev/c: 500") << "a failure is named before a skip";
  partly.applied.results.pop_back();
  EXPECT_EQ(forge::SyncStatusOf(partly).description, "1 not in sync: StatefulSet dev/a: conflict");

  reconcile::Report synced;
  synced.applied.unchanged = 7;
  synced.applied.results = {result("b", Outcome::kConfigured, "")};
  EXPECT_EQ(forge::SyncStatusOf(synced).state, forge::State::kSuccess);
  EXPECT_EQ(forge::SyncStatusOf(synced).description, "in sync: 8 objects, 1 corrected");
  synced.applied.results.clear();
  EXPECT_EQ(forge::SyncStatusOf(synced).description, "in sync: 7 objects");
}

}  // namespace
}  // namespace warren
