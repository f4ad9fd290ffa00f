// The agent's small parts that need no server: Go durations, the metrics text, the config file,
// and stop tokens (a child stops with its parent, a wait ends at the stop).
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "agent/forge/sync_status.h"
#include "agent/run/config_file.h"
#include "agent/run/event_correlator.h"
#include "agent/run/events.h"
#include "agent/run/metrics.h"
#include "agent/run/state_log.h"
#include "agent/util/cancel.h"
#include "agent/webhook/webhook.h"
#include "diff/model/duration.h"
#include "tests/support/fake_kube.h"
#include "tests/support/stepped_clock.h"

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

// Needs action is a failure status naming the object, but its own class: nothing failed. Left in
// place is success, with a note.
TEST(SyncStatus, NeedsActionAndLeftInPlaceAreTheirOwnClasses) {
  using diff::Outcome;
  auto result = [](const std::string& kind, const std::string& name, Outcome outcome, const std::string& message,
                   bool broker = false) {
    diff::ApplyResult r;
    r.object.key = {"", kind, broker ? "orders" : "dev", name};
    r.object.in_broker = broker;
    r.outcome = outcome;
    r.message = message;
    return r;
  };
  reconcile::Report left;
  left.applied.unchanged = 3;
  left.applied.results = {result("Queue", "ha.payments", Outcome::kLeftInPlace, diff::kPruneOff, true)};
  EXPECT_TRUE(left.Converged());
  EXPECT_EQ(forge::SyncStatusOf(left).state, forge::State::kSuccess);
  EXPECT_EQ(forge::SyncStatusOf(left).description,
            "in sync: 4 objects; 1 object removed from git left in place: Queue ha.payments (vhost orders) — prune "
            "is off");
  EXPECT_NE(diff::RenderApplyText(left.applied)
                .find("1 left in place\nin sync; 1 object removed from git left in place: Queue ha.payments"),
            std::string::npos)
      << diff::RenderApplyText(left.applied);
  EXPECT_EQ(diff::ApplyToJson(left.applied)["result"], "inSync");

  reconcile::Report blocked = left;
  blocked.applied.results.push_back(
      result("ConfigMap", "conf", Outcome::kNeedsAction, "apply: 409 Conflict: Apply failed with 1 conflict"));
  EXPECT_FALSE(blocked.Converged());
  EXPECT_EQ(blocked.applied.Class(), diff::OutcomeClass::kNeedsAction);
  EXPECT_EQ(forge::SyncStatusOf(blocked).state, forge::State::kFailure);
  EXPECT_EQ(forge::SyncStatusOf(blocked).description,
            "1 needs action: ConfigMap dev/conf: apply: 409 Conflict: Apply failed with 1 conflict");
  EXPECT_EQ(diff::ApplyToJson(blocked.applied)["summary"]["needsAction"], 1);

  // A failure outranks it.
  blocked.applied.results.push_back(result("Secret", "s", Outcome::kFailed, "503"));
  EXPECT_EQ(blocked.applied.Class(), diff::OutcomeClass::kFailed);
  EXPECT_EQ(forge::SyncStatusOf(blocked).description, "1 not in sync: Secret dev/s: 503");
}

// client-go's correlator on a fake clock: a burst of 25, then one Event per 5 minutes; repeats
// update one Event; ten different messages become one aggregate.
TEST(EventCorrelator, SpamFilterDeduplicationAndAggregation) {
  using std::chrono::minutes;
  using std::chrono::seconds;
  run::EventCorrelator c;
  run::EventCorrelator::TimePoint t{};
  run::EventIdentity e{"apps/v1/StatefulSet/dev/rabbitmq", "Normal", "DriftCorrected", "configured"};
  run::EventDecision first = c.Correlate(e, t);
  EXPECT_EQ(first.kind, run::EventDecision::kCreate);
  c.Created(e, first.message, "rabbitmq.1", t);
  for (int i = 2; i <= 25; ++i) {
    run::EventDecision d = c.Correlate(e, t + seconds(i));
    ASSERT_EQ(d.kind, run::EventDecision::kUpdate) << i;
    EXPECT_EQ(d.name, "rabbitmq.1");
    EXPECT_EQ(d.count, i);
  }
  EXPECT_EQ(c.Correlate(e, t + seconds(30)).kind, run::EventDecision::kDrop) << "the 26th within the burst";
  EXPECT_EQ(c.Correlate(e, t + minutes(4)).kind, run::EventDecision::kDrop);
  EXPECT_EQ(c.Correlate(e, t + minutes(5)).kind, run::EventDecision::kUpdate) << "one token back after 5 minutes";
  EXPECT_EQ(c.Correlate(e, t + minutes(5) + seconds(1)).kind, run::EventDecision::kDrop);
  // Another reason on the same object has a bucket of its own.
  run::EventIdentity failed{e.object, "Warning", "SyncFailed", "503"};
  EXPECT_EQ(c.Correlate(failed, t + minutes(5)).kind, run::EventDecision::kCreate);

  // Ten different messages within ten minutes: from the tenth on, one aggregate Event.
  run::EventCorrelator agg;
  run::EventIdentity v{"v1/ConfigMap/dev/conf", "Warning", "SyncFailed", ""};
  for (int i = 0; i < 9; ++i) {
    v.message = "error " + std::to_string(i);
    run::EventDecision d = agg.Correlate(v, t + seconds(i));
    EXPECT_EQ(d.kind, run::EventDecision::kCreate);
    EXPECT_EQ(d.message, v.message);
    agg.Created(v, d.message, "conf." + std::to_string(i), t + seconds(i));
  }
  v.message = "error 9";
  run::EventDecision tenth = agg.Correlate(v, t + seconds(9));
  EXPECT_EQ(tenth.kind, run::EventDecision::kCreate);
  EXPECT_EQ(tenth.message, "(combined from similar events): error 9");
  agg.Created(v, tenth.message, "conf.agg", t + seconds(9));
  v.message = "error 10";
  run::EventDecision eleventh = agg.Correlate(v, t + seconds(10));
  EXPECT_EQ(eleventh.kind, run::EventDecision::kUpdate);
  EXPECT_EQ(eleventh.name, "conf.agg");
  EXPECT_EQ(eleventh.message, "(combined from similar events): error 10");
}

TEST(EventCorrelator, RemembersABoundedNumberOfKeys) {
  run::EventCorrelatorOptions o;
  o.max_keys = 3;
  run::EventCorrelator c(o);
  run::EventCorrelator::TimePoint t{};
  for (int i = 0; i < 10; ++i) {
    run::EventIdentity e{"v1/ConfigMap/dev/c" + std::to_string(i), "Normal", "DriftCorrected", "configured"};
    run::EventDecision d = c.Correlate(e, t + std::chrono::seconds(i));
    c.Created(e, d.message, "c" + std::to_string(i), t + std::chrono::seconds(i));
  }
  // The oldest were forgotten: its next Event is created anew, the newest is still updated.
  run::EventIdentity oldest{"v1/ConfigMap/dev/c0", "Normal", "DriftCorrected", "configured"};
  run::EventIdentity newest{"v1/ConfigMap/dev/c9", "Normal", "DriftCorrected", "configured"};
  EXPECT_EQ(c.Correlate(oldest, t + std::chrono::seconds(20)).kind, run::EventDecision::kCreate);
  EXPECT_EQ(c.Correlate(newest, t + std::chrono::seconds(21)).kind, run::EventDecision::kUpdate);
}

TEST(StateLog, SaysAConditionWhenItStartsChangesAndEveryFewMinutes) {
  using std::chrono::minutes;
  using std::chrono::seconds;
  run::StateLog log(minutes(5));
  run::StateLog::TimePoint t{};
  using Say = run::StateLog::Say;
  EXPECT_EQ(log.Observe("degraded", "node 3 down", t), Say::kNew);
  for (int tick = 1; tick < 150; ++tick)  // every 2 s for just under 5 minutes
    ASSERT_EQ(log.Observe("degraded", "node 3 down", t + seconds(2 * tick)), Say::kQuiet) << tick;
  EXPECT_EQ(log.Observe("degraded", "node 3 down", t + minutes(5)), Say::kReminder);
  EXPECT_EQ(log.Observe("degraded", "node 3 down", t + minutes(5) + seconds(2)), Say::kQuiet);
  EXPECT_EQ(log.Observe("degraded", "node 2 and 3 down", t + minutes(6)), Say::kChanged);
  EXPECT_EQ(log.Since("degraded", t + minutes(7)), t);
  EXPECT_TRUE(log.Clear("degraded"));
  EXPECT_FALSE(log.Clear("degraded")) << "recovered once";
  EXPECT_EQ(log.Observe("degraded", "node 3 down", t + minutes(8)), Say::kNew);
}

// On the fake API: thirty equal Events are one Event object with count 25; five minutes later one
// more gets through.
TEST(EventRecorder, RepeatsUpdateOneEventAndTheSpamFilterDropsTheRest) {
  testing::FakeKube kube;
  testing::SteppedClock clock;
  run::EventRecorder recorder("warren", "test", &clock);
  run::EventSpec e{"apps/v1", "StatefulSet", "dev", "rabbitmq", "Normal", "DriftCorrected", "configured by warren"};
  int dropped = 0;
  for (int i = 0; i < 30; ++i) {
    bool d = false;
    ASSERT_TRUE(recorder.Record(kube, e, &d).ok());
    dropped += d;
  }
  EXPECT_EQ(dropped, 5);
  auto events = kube.Resolve("v1", "Event");
  auto listed = kube.List(events.value(), "dev", "");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed.value().size(), 1u);
  EXPECT_EQ(listed.value()[0]["count"], 25);
  clock.Advance(std::chrono::minutes(5));
  bool d = true;
  ASSERT_TRUE(recorder.Record(kube, e, &d).ok());
  EXPECT_FALSE(d);
  EXPECT_EQ(kube.List(events.value(), "dev", "").value()[0]["count"], 26);
}

}  // namespace
}  // namespace warren
