// warren run against the API emulator, as a process: it applies, becomes ready, corrects drift the
// watch shows (kubectl scale, kubectl set env) and records Events; --dry-run sends no write; an
// inventory it cannot read is never shrunk; a correction the API refuses is reported, then retried; an object refused
// for good holds up no other; with --leader-elect
// only the leader writes and a follower takes over when the leader dies, and meanwhile hands webhooks to the leader;
// SIGTERM stops it cleanly and releases the Lease.
#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "agent/webhook/webhook.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/emulator_process.h"
#include "tests/integration/rabbit_cluster.h"
#include "tests/support/raw_client.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

// A Secret value the agent must never print, log, export or put in an Event.
constexpr const char* kSecretValue = "agent-test-s3cr3t-value";

class Agent : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void Start(std::vector<std::string> extra) {
    emu_ = &EmulatorProcess::Shared("agent", extra);
    ASSERT_TRUE(emu_->ok());
    dir_ = emu_->dir() + "/desired";
    fs::create_directories(dir_);
    fs::copy(std::string(WARREN_SOURCE_DIR) + "/manifests/kubernetes", dir_, fs::copy_options::recursive);
    Write("namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n");
    Write("secret.yaml",
          std::string("apiVersion: v1\nkind: Secret\nmetadata: {name: rabbitmq-credentials, namespace: dev}\n"
                      "stringData: {username: admin, password: ") +
              kSecretValue + ", erlang-cookie: " + kSecretValue + "}\n");
  }
  void Write(const std::string& file, const std::string& text) { std::ofstream(dir_ + "/" + file) << text; }

  std::unique_ptr<AgentProcess> Run(const std::string& name, std::vector<std::string> flags,
                                    std::vector<std::string> env = {}) {
    std::vector<std::string> args = {dir_, "-n", "dev", "--timeout", "30s", "--interval", "1h"};
    for (auto& f : flags) args.push_back(f);
    env.push_back("KUBECONFIG=" + emu_->kubeconfig());
    return std::make_unique<AgentProcess>(emu_->dir() + "/" + name + ".log", args, env);
  }
  Json Get(const std::string& what) const { return emu_->KubectlGet(what + " -n dev"); }
  int Replicas() const {
    Json s = Get("statefulset rabbitmq");
    return s.is_object() ? s["spec"].value("replicas", -1) : -1;
  }
  bool HasEnv(const std::string& name) const {
    Json s = Get("statefulset rabbitmq");
    if (!s.is_object()) return false;
    for (const Json& e : s["spec"]["template"]["spec"]["containers"][0]["env"])
      if (e.value("name", "") == name) return true;
    return false;
  }
  // Writes in the emulator's request log, by user ("" = anyone), Events left out unless asked.
  int Writes(const std::string& user = "", bool events = false) const {
    int n = 0;
    for (const Json& r : emu_->Log())
      n += r["write"].get<bool>() && (user.empty() || r.value("user", "") == user) &&
           (events || r.value("path", "").find("/events") == std::string::npos);
    return n;
  }

  EmulatorProcess* emu_ = nullptr;  // shared by the program's tests, reset for each
  std::string dir_;
};

bool Ready(const AgentProcess& a) { return a.Get("/readyz").first == 200; }

TEST_F(Agent, AppliesBecomesReadyAndCorrectsWatchedDrift) {
  auto agent = Run("agent", {"--force-conflicts", "--log-format", "json"});
  ASSERT_TRUE(Eventually([&] { return Ready(*agent); }, 60)) << agent->Log();
  EXPECT_EQ(agent->Get("/healthz").first, 200);
  EXPECT_EQ(Replicas(), 3);
  EXPECT_EQ(agent->Metric("warren_leader"), 1);
  EXPECT_EQ(agent->Metric(R"(warren_reconcile_total{result="success",source="warren"})"), 1) << agent->Log();

  // Drift by hand: the watch sees it and the agent corrects it, no poll needed (the interval is 1h).
  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=1").exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return Replicas() == 3; }, 15)) << agent->Log();
  ASSERT_EQ(emu_->Kubectl("set env statefulset/rabbitmq -n dev ADDED_BY_HAND=1").exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return !HasEnv("ADDED_BY_HAND"); }, 15)) << agent->Log();
  EXPECT_TRUE(HasEnv("RABBITMQ_NODENAME"));
  // Counted by who made the change: kubectl (scale), kubectl-set (set env); once each
  // correction's report is in (just after the object is back).
  EXPECT_TRUE(Eventually(
      [&] {
        return agent->Metric(
                   R"(warren_drift_corrections_total{kind="StatefulSet",manager="kubectl",source="warren"})") >= 1 &&
               agent->Metric(
                   R"(warren_drift_corrections_total{kind="StatefulSet",manager="kubectl-set",source="warren"})") >= 1;
      },
      15))
      << agent->Get("/metrics").second;

  // An Event on the corrected object, in warren's words.
  Json events = Get("events");
  // It names who changed it; the first sync is one summary Event on the inventory, not one per object.
  bool corrected = false, attributed = false;
  int synced = 0, applied = 0;
  for (const Json& e : events["items"]) {
    bool drift = e.value("reason", "") == "DriftCorrected" && e["involvedObject"].value("name", "") == "rabbitmq" &&
                 e["involvedObject"].value("kind", "") == "StatefulSet" &&
                 e["source"].value("component", "") == "warren";
    corrected |= drift;
    attributed |= drift && Has(e.value("message", ""), ".spec.replicas set by kubectl (Update /scale, ");
    synced += e.value("reason", "") == "Synced" && e["involvedObject"].value("name", "") == "warren-inventory";
    applied += e.value("reason", "") == "Applied";
  }
  EXPECT_TRUE(corrected) << events.dump(1);
  EXPECT_TRUE(attributed) << events.dump(1);
  EXPECT_EQ(synced, 1) << events.dump(1);
  EXPECT_EQ(applied, 0) << events.dump(1);

  // One JSON object per line; no Secret value anywhere: log, metrics, Events.
  auto [code, seconds] = agent->Kill(SIGTERM);
  EXPECT_EQ(code, 0);
  EXPECT_LT(seconds, 10);
  std::string log = agent->Log();
  std::stringstream lines(log);
  for (std::string line; std::getline(lines, line);) EXPECT_TRUE(Json::parse(line, nullptr, false).is_object()) << line;
  EXPECT_EQ(log.find(kSecretValue), std::string::npos);
  EXPECT_EQ(events.dump().find(kSecretValue), std::string::npos);
}

// Without --force-conflicts a hand scale is a conflict: it needs action. Said once (a NeedsAction
// Event, one log line), not retried on a backoff; looked at again when the object changes.
TEST_F(Agent, AConflictNeedsActionOnceAndIsNotRetried) {
  auto agent = Run("agent", {});
  ASSERT_TRUE(Eventually([&] { return Ready(*agent) && Replicas() == 3; }, 60)) << agent->Log();
  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=1").exit_code, 0);
  const std::string needs = R"(warren_reconcile_total{result="needs_action",source="warren"})";
  ASSERT_TRUE(Eventually([&] { return agent->Metric(needs) >= 1; }, 15)) << agent->Log();
  int writes = Writes();
  // A backoff would have tried at 1 s, 2 s and 4 s.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_EQ(Writes(), writes) << "retried although nothing changed";
  EXPECT_EQ(agent->Metric(needs), 1);
  EXPECT_EQ(Replicas(), 1);
  std::string log = agent->Log();
  size_t said = 0;
  for (size_t at = log.find("needs action"); at != std::string::npos; at = log.find("needs action", at + 1)) ++said;
  EXPECT_EQ(said, 1u) << log;
  EXPECT_TRUE(Has(log, R"(conflict with \"kubectl\" with subresource \"scale\")")) << log;
  Json events = Get("events");
  int warned = 0;
  for (const Json& e : events["items"])
    warned += e.value("reason", "") == "NeedsAction" && e["involvedObject"].value("name", "") == "rabbitmq" &&
              e.value("type", "") == "Warning";
  EXPECT_EQ(warned, 1) << events.dump(1);

  // The object changed again (another value, so another diff): looked at again, still a conflict.
  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=2").exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return agent->Metric(needs) == 2; }, 15)) << agent->Log();
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

// A flapping object cannot flood the API server with Events: corrections of one object for one
// reason become a few Event objects with counts (repeats counted, ten different messages
// combined), and beyond a burst of 25 they are dropped and counted.
TEST_F(Agent, AFlappingObjectIsAFewEventsWithCounts) {
  auto agent = Run("agent", {"--force-conflicts"});
  ASSERT_TRUE(Eventually([&] { return Ready(*agent) && Replicas() == 3; }, 60)) << agent->Log();
  for (int flap = 0; flap < 30; ++flap) {
    ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=1").exit_code, 0);
    ASSERT_TRUE(Eventually([&] { return Replicas() == 3; }, 15)) << agent->Log();
  }
  const std::string corrections =
      R"(warren_drift_corrections_total{kind="StatefulSet",manager="kubectl",source="warren"})";
  // Each correction's Event follows its count: wait until every one is told (sent or dropped).
  Json events;
  int objects = 0, counted = 0;
  double dropped = 0, corrected = 0;
  EXPECT_TRUE(Eventually(
      [&] {
        corrected = agent->Metric(corrections);
        dropped = agent->Metric(R"(warren_events_dropped_total{source="warren"})");
        events = Get("events");
        objects = counted = 0;
        for (const Json& e : events["items"]) {
          if (e.value("reason", "") != "DriftCorrected" || e["involvedObject"].value("name", "") != "rabbitmq")
            continue;
          ++objects;
          counted += e.value("count", 0);
        }
        return corrected >= 30 && counted + dropped == corrected;
      },
      15))
      << corrected << " corrections, " << counted << " counted, " << dropped << " dropped\n"
      << events.dump(1);
  std::cout << corrected << " corrections: " << objects << " Event objects counting " << counted << ", " << dropped
            << " dropped\n";
  EXPECT_LE(objects, 10) << events.dump(1);
  EXPECT_EQ(counted, 25) << events.dump(1);
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

TEST_F(Agent, MetricsPassPromtool) {
  auto agent = Run("agent", {});
  ASSERT_TRUE(Eventually([&] { return Ready(*agent); }, 60)) << agent->Log();
  std::string file = emu_->dir() + "/metrics.txt";
  std::ofstream(file) << agent->Get("/metrics").second;
  RunResult check = Shell("promtool check metrics < " + file);
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_EQ(Shell("cat " + file).out.find(kSecretValue), std::string::npos);
  // The standard process metrics, as the agent's own /proc says.
  EXPECT_GT(agent->Metric("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(agent->Metric("process_open_fds"), 3);
  EXPECT_GT(agent->Metric("process_max_fds"), agent->Metric("process_open_fds"));
  EXPECT_GT(agent->Metric("process_start_time_seconds"), 1.7e9);
  EXPECT_GE(agent->Metric("process_cpu_seconds_total"), 0);
}

TEST_F(Agent, DryRunSendsNoWrite) {
  // A cluster in drift: applied by kubectl, then scaled by hand.
  ASSERT_EQ(emu_->Kubectl("apply --server-side -f " + dir_ + "/namespace.yaml").exit_code, 0);
  RunResult applied = emu_->Kubectl("apply --server-side -f " + dir_);
  ASSERT_EQ(applied.exit_code, 0) << applied.out;
  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=5").exit_code, 0);
  emu_->ClearLog();
  auto agent = Run("agent", {"--dry-run", "--prune"});
  ASSERT_TRUE(Eventually([&] { return Ready(*agent) && Has(agent->Log(), "drift found (dry run"); }, 60))
      << agent->Log();
  ASSERT_EQ(emu_->Kubectl("set env statefulset/rabbitmq -n dev ADDED_BY_HAND=1").exit_code, 0);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the watch saw it; the agent only reports
  EXPECT_EQ(Replicas(), 5);
  EXPECT_TRUE(HasEnv("ADDED_BY_HAND"));
  EXPECT_GE(agent->Metric(R"(warren_drifted_objects{kind="StatefulSet",source="warren"})"), 1);
  // Only kubectl's own write (set env) is in the log: nothing from warren.
  int writes = 0;
  for (const Json& r : emu_->Log())
    if (r["write"].get<bool>()) ++writes;
  EXPECT_EQ(writes, 1) << emu_->Log().dump(1);
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

TEST_F(Agent, UnreadableInventoryIsNeverShrunk) {
  RunResult sync = emu_->Warren("sync " + dir_ + " -n dev --timeout 30");
  ASSERT_EQ(sync.exit_code, 0) << sync.out;
  fs::remove(dir_ + "/services.yaml");  // two Services leave git
  emu_->Admin(
      "POST", "/emulator/faults",
      R"({"method":"GET","pathPrefix":"/api/v1/namespaces/dev/configmaps/warren-inventory","status":500,"times":-1})");
  emu_->ClearLog();
  auto agent = Run("agent", {"--prune"});
  ASSERT_TRUE(Eventually([&] { return Has(agent->Log(), "read warren's inventory"); }, 30)) << agent->Log();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a retry or two, all refused
  EXPECT_EQ(Writes(), 0) << emu_->Log().dump(1);         // nothing applied, pruned or recorded: only a SyncFailed Event
  EXPECT_GE(Writes("", true), 1);
  EXPECT_EQ(Get("service rabbitmq")["metadata"].value("name", ""), "rabbitmq");
  EXPECT_FALSE(Ready(*agent));
  EXPECT_GE(agent->Metric(R"(warren_reconcile_total{result="failure",source="warren"})"), 1);

  // Readable again: the retry prunes both Services and the inventory forgets them.
  emu_->Admin("DELETE", "/emulator/faults");
  ASSERT_TRUE(Eventually([&] { return Ready(*agent); }, 30)) << agent->Log();
  EXPECT_FALSE(Get("service rabbitmq").is_object());
  Json inventory = Get("configmap warren-inventory");
  std::string objects = inventory["data"].value("objects", "");
  EXPECT_EQ(objects.find("\"Service\""), std::string::npos) << objects;
  EXPECT_NE(objects.find("StatefulSet"), std::string::npos) << objects;
}

// One prune rule: what `warren diff` lists to prune, what `warren sync --dry-run --prune` would
// prune and what `warren run --dry-run --prune` reports are the same set. Of four objects that
// left git, only the plain one goes: one is annotated warren.io/prune: disabled, one had its
// managed-by label taken off, and the Namespace is never deleted.
TEST_F(Agent, DiffSyncDryRunAndRunDryRunReportOnePruneSet) {
  Write("extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: dev}\ndata: {a: b}\n");
  Write("keep.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep, namespace: dev, annotations: {warren.io/prune: "
        "disabled}}\ndata: {a: b}\n");
  Write("handed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: handed, namespace: dev}\ndata: {a: b}\n");
  RunResult sync = emu_->Warren("sync " + dir_ + " -n dev --timeout 30");
  ASSERT_EQ(sync.exit_code, 0) << sync.out;
  ASSERT_EQ(emu_->Kubectl("label configmap handed -n dev app.kubernetes.io/managed-by-").exit_code, 0);
  for (const char* f : {"extra.yaml", "keep.yaml", "handed.yaml", "namespace.yaml"}) fs::remove(dir_ + "/" + f);
  const std::set<std::string> want = {"ConfigMap dev/extra"};

  RunResult diff = emu_->Warren("diff " + dir_ + " -n dev -o json");
  ASSERT_EQ(diff.exit_code, 1) << diff.out;
  std::set<std::string> from_diff;
  Json planned = Json::parse(diff.out, nullptr, false);  // (a range-for over parse(...)[...] would dangle)
  ASSERT_TRUE(planned.is_object()) << diff.out;
  for (const Json& o : planned["objects"])
    if (o["action"] == "prune") from_diff.insert(o["kind"].get<std::string>() + " dev/" + o["name"].get<std::string>());
  EXPECT_EQ(from_diff, want) << diff.out;

  RunResult dry = emu_->Warren("sync " + dir_ + " -n dev --dry-run --prune -o json");
  std::set<std::string> from_sync;
  Json applied = Json::parse(dry.out, nullptr, false);
  ASSERT_TRUE(applied.is_object()) << dry.out;
  for (const Json& r : applied["results"])
    if (r["outcome"] == "pruned")
      from_sync.insert(r["kind"].get<std::string>() + " dev/" + r["name"].get<std::string>());
  EXPECT_EQ(from_sync, want) << dry.out;

  auto agent = Run("agent", {"--dry-run", "--prune", "--log-format", "json"});
  std::set<std::string> from_run;
  ASSERT_TRUE(Eventually(
      [&] {
        std::stringstream lines(agent->Log());
        for (std::string line; std::getline(lines, line);) {
          Json j = Json::parse(line, nullptr, false);
          if (!j.is_object() || j.value("msg", "") != "drift found (dry run: not corrected)") continue;
          // A log line stays bounded: a count and the first few names (one here).
          EXPECT_EQ(j.value("objects", 0), 1) << line;
          from_run.insert(j.value("first", ""));
          return true;
        }
        return false;
      },
      60))
      << agent->Log();
  EXPECT_EQ(from_run, want) << agent->Log();
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
  EXPECT_TRUE(Get("configmap extra").is_object()) << "dry runs: nothing pruned";
}

// A fault while the agent runs: the API refuses the agent's correction of a ConfigMap with 500 for
// as long as the fault lasts. The failure is reported (the failure counter, the drift gauge, an
// Event, the log), never silent; once the fault clears, a retry corrects the drift without a
// restart. (Readiness means "the first reconcile succeeded" and stays.)
TEST_F(Agent, ARefusedCorrectionIsReportedThenOutlived) {
  auto agent = Run("agent", {"--force-conflicts"});
  ASSERT_TRUE(Eventually([&] { return Ready(*agent); }, 60)) << agent->Log();
  // Drift by PUT (kubectl replace), while the agent's PATCHes of that ConfigMap get 500.
  emu_->Admin(
      "POST", "/emulator/faults",
      R"({"method":"PATCH","pathPrefix":"/api/v1/namespaces/dev/configmaps/rabbitmq-config","status":500,"times":-1})");
  Json cm = Get("configmap rabbitmq-config");
  cm["data"]["enabled_plugins"] = "[rabbitmq_management].\n";
  cm["metadata"].erase("managedFields");
  std::string file = WriteTemp("agent-drift.json", cm.dump());
  ASSERT_EQ(emu_->Kubectl("replace -f " + file).exit_code, 0);
  // The agent counts the failure, posts its Event, then logs it: the log line comes last.
  EXPECT_TRUE(Eventually(
      [&] { return Has(agent->Log(), "apply ConfigMap dev/rabbitmq-config: 500 InternalError: injected fault"); }, 30))
      << agent->Log();
  EXPECT_GE(agent->Metric(R"(warren_reconcile_total{result="failure",source="warren"})"), 1);
  EXPECT_EQ(agent->Metric(R"(warren_drifted_objects{kind="ConfigMap",source="warren"})"), 1)
      << agent->Get("/metrics").second;
  RunResult events = emu_->Kubectl("get events -n dev -o json");
  EXPECT_TRUE(Has(events.out, "injected fault")) << "an Event says why: " << events.out;

  emu_->Admin("DELETE", "/emulator/faults");
  EXPECT_TRUE(Eventually(
      [&] {
        Json now = Get("configmap rabbitmq-config");
        return now.is_object() && now["data"].value("enabled_plugins", "") != "[rabbitmq_management].\n" &&
               Ready(*agent);
      },
      60))
      << agent->Log();
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

// The API server refuses one object of the commit (422) for good: the failure is reported (the
// reconcile fails, an Event names it) while every other object is applied, and drift of the
// others is still put back.
TEST_F(Agent, ARefusedObjectHoldsUpNoOther) {
  emu_->Admin(
      "POST", "/emulator/faults",
      R"({"method":"PATCH","pathPrefix":"/api/v1/namespaces/dev/configmaps/rabbitmq-config","status":422,"times":-1})");
  auto agent = Run("agent", {"--force-conflicts"});
  // The StatefulSet comes after the ConfigMap in apply order: applied all the same.
  ASSERT_TRUE(Eventually([&] { return Replicas() == 3; }, 60)) << agent->Log();
  EXPECT_TRUE(
      Eventually([&] { return agent->Metric(R"(warren_reconcile_total{result="failure",source="warren"})") >= 1; }, 30))
      << agent->Log();
  EXPECT_NE(agent->Get("/readyz").first, 200);  // never converged

  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=1").exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return Replicas() == 3; }, 15)) << agent->Log();
  // Counted once the correction's report is in (just after the spec is back).
  EXPECT_TRUE(Eventually(
      [&] {
        return agent->Metric(
                   R"(warren_drift_corrections_total{kind="StatefulSet",manager="kubectl",source="warren"})") >= 1;
      },
      15))
      << agent->Get("/metrics").second;
  EXPECT_EQ(agent->Metric(R"(warren_drifted_objects{kind="ConfigMap",source="warren"})"), 1)
      << agent->Get("/metrics").second;
  RunResult events = emu_->Kubectl("get events -n dev -o json");
  bool named = false;
  for (const Json& e : Json::parse(events.out, nullptr, false).value("items", Json::array()))
    named |= e.value("reason", "") == "SyncFailed" && e["involvedObject"].value("name", "") == "rabbitmq-config";
  EXPECT_TRUE(named) << events.out;

  emu_->Admin("DELETE", "/emulator/faults");  // fixed: the next retry converges
  EXPECT_TRUE(Eventually([&] { return Ready(*agent); }, 60)) << agent->Log();
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

// 200 clients that send the head of a webhook POST and then nothing: the probes, on a listener
// of their own, answer as before, and a signed delivery still gets through on the webhook port.
TEST_F(Agent, SlowClientsOnTheWebhookPortStarveNothing) {
  const std::string kSecret = "slow-clients-hook-secret";
  std::ofstream(emu_->dir() + "/hook-secret") << kSecret;
  int health_port = FreePort(), metrics_port = FreePort();
  auto agent = Run("agent", {"--webhook-secret-file", emu_->dir() + "/hook-secret", "--health-addr",
                             "127.0.0.1:" + std::to_string(health_port), "--metrics-addr",
                             "127.0.0.1:" + std::to_string(metrics_port)});
  auto get = [](int port, const std::string& path, long timeout_ms) {
    net::HttpClientOptions o;
    o.timeout_ms = timeout_ms;
    net::HttpClient http(o);
    return http.Send({"GET", "http://127.0.0.1:" + std::to_string(port) + path, {}, ""});
  };
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = get(health_port, "/readyz", 5000);
        return r.ok() && r.value().status == 200;
      },
      60))
      << agent->Log();
  EXPECT_EQ(agent->Get("/healthz").first, 404) << "the probes moved to --health-addr";
  std::string body = R"({"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567",)"
                     R"("repository":{"clone_url":"https://git.example.com/org/app.git","full_name":"org/app"}})";
  auto deliver = [&](int n, long timeout_ms) {
    net::HttpClientOptions o;
    o.timeout_ms = timeout_ms;
    net::HttpClient http(o);
    return http.Send({"POST",
                      "http://127.0.0.1:" + std::to_string(agent->port()) + "/hooks/github",
                      {{"Content-Type", "application/json"},
                       {"X-GitHub-Event", "push"},
                       {"X-GitHub-Delivery", "slow-" + std::to_string(n)},
                       {"X-Hub-Signature-256", "sha256=" + webhook::HmacSha256Hex(kSecret, body)}},
                      body});
  };
  auto before = deliver(0, 5000);
  ASSERT_TRUE(before.ok()) << before.status().message();

  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(std::make_unique<RawClient>(agent->port()));
    slow.back()->Send("POST /hooks/github HTTP/1.1\r\nHost: warren\r\nContent-Length: 900\r\n");
  }
  std::vector<double> ms;
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto r = get(health_port, "/healthz", 1000);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    EXPECT_TRUE(r.ok() && r.value().status == 200) << (r.ok() ? r.value().body : r.status().message());
  }
  std::sort(ms.begin(), ms.end());
  std::cout << "/healthz with 200 slow clients: median " << ms[2] << " ms, slowest " << ms[4] << " ms\n";
  EXPECT_LT(ms[2], 100);
  auto during = deliver(1, 1000);  // within a second, or the client gives up
  ASSERT_TRUE(during.ok()) << during.status().message();
  EXPECT_EQ(during.value().status, before.value().status) << during.value().body;
  auto metrics = get(metrics_port, "/metrics", 5000);
  ASSERT_TRUE(metrics.ok());
  EXPECT_TRUE(Has(metrics.value().body, R"(warren_http_refused_total{reason="evicted"})")) << metrics.value().body;
  slow.clear();
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
}

class AgentLeaderElection : public Agent {
 protected:
  void SetUp() override {
    Start(
        {"--token", "token-replica-a=replica-a:system:masters", "--token", "token-replica-b=replica-b:system:masters"});
  }
  // Each replica advertises http://127.0.0.1:<its port> (POD_IP, as the Deployment sets it).
  std::unique_ptr<AgentProcess> Replica(const std::string& name) {
    std::ofstream(emu_->dir() + "/hook-secret") << kHookSecret;
    return Run(name,
               {"--context", name, "--force-conflicts", "--leader-elect", "--lease-duration", "3s", "--lease-namespace",
                "default", "--webhook-secret-file", emu_->dir() + "/hook-secret"},
               {"POD_IP=127.0.0.1"});
  }
  // A signed GitHub push delivery: {status, body}.
  static std::pair<long, std::string> Push(const AgentProcess& to, const std::string& delivery) {
    std::string body =
        R"({"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567","repository":{"clone_url":"https://example.com/o/r.git"}})";
    net::HttpClient http({});
    net::HttpRequest req{"POST",
                         "http://127.0.0.1:" + std::to_string(to.port()) + "/hooks/github",
                         {{"Content-Type", "application/json"},
                          {"X-GitHub-Event", "push"},
                          {"X-GitHub-Delivery", delivery},
                          {"X-Hub-Signature-256", "sha256=" + webhook::HmacSha256Hex(kHookSecret, body)}},
                         body};
    auto r = http.Send(req);
    return r.ok() ? std::pair<long, std::string>{r.value().status, r.value().body}
                  : std::pair<long, std::string>{0, r.status().message()};
  }
  static constexpr const char* kHookSecret = "leader-hook-secret";
};

TEST_F(AgentLeaderElection, OnlyTheLeaderWritesAndAFollowerTakesOver) {
  emu_->ClearLog();
  auto a = Replica("replica-a");
  ASSERT_TRUE(Eventually([&] { return Ready(*a) && a->Metric("warren_leader") == 1; }, 60)) << a->Log();
  auto b = Replica("replica-b");
  ASSERT_TRUE(Eventually([&] { return Ready(*b); }, 30)) << b->Log();  // a follower is ready to take over
  std::this_thread::sleep_for(std::chrono::seconds(4));                // more than a lease duration: b keeps trying
  EXPECT_EQ(b->Metric("warren_leader"), 0);
  EXPECT_GT(Writes("replica-a"), 5);
  EXPECT_EQ(Writes("replica-b", true), 0) << b->Log();
  Json lease = emu_->Admin("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/warren");
  std::string holder_a = lease["spec"].value("holderIdentity", "");
  EXPECT_FALSE(holder_a.empty()) << lease.dump();
  EXPECT_EQ(lease["metadata"]["annotations"].value("warren.io/leader-url", ""),
            "http://127.0.0.1:" + std::to_string(a->port()));

  // A webhook the Service gives to the follower is handed to the leader, which answers it.
  auto handed = Push(*b, "d-1");
  EXPECT_EQ(handed.first, 202) << handed.second << b->Log();
  EXPECT_TRUE(Has(handed.second, "no source fetches refs/heads/main")) << "the leader's own answer: " << handed.second;
  EXPECT_EQ(b->Metric(R"(warren_webhooks_total{forge="github",result="forwarded"})"), 1);
  EXPECT_EQ(a->Metric(R"(warren_webhooks_total{forge="github",result="no_source"})"), 1);

  // The leader dies without releasing: b takes over once the Lease has not been renewed for its
  // duration, and corrects drift from then on.
  a->Kill(SIGKILL);
  // Until b takes over, nobody takes the push: 503, and the forge may deliver it again.
  auto refused = Push(*b, "d-2");
  EXPECT_EQ(refused.first, 503) << refused.second;
  EXPECT_TRUE(Has(refused.second, "did not take the push")) << refused.second;
  ASSERT_TRUE(Eventually([&] { return b->Metric("warren_leader") == 1; }, 20)) << b->Log();
  auto again = Push(*b, "d-2");
  EXPECT_EQ(again.first, 202) << "the same delivery, now at the leader: not a duplicate: " << again.second;
  EXPECT_TRUE(Has(again.second, "no source fetches")) << again.second;
  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=1").exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return Replicas() == 3; }, 20)) << b->Log();
  EXPECT_GT(Writes("replica-b"), 0);
  lease = emu_->Admin("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/warren");
  EXPECT_NE(lease["spec"].value("holderIdentity", ""), holder_a);
  EXPECT_GE(lease["spec"].value("leaseTransitions", 0), 1);

  // SIGTERM: stops within 10 s, exit 0, and hands the Lease back.
  auto [code, seconds] = b->Kill(SIGTERM);
  EXPECT_EQ(code, 0) << b->Log();
  EXPECT_LT(seconds, 10);
  lease = emu_->Admin("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/warren");
  EXPECT_EQ(lease["spec"].value("holderIdentity", "x"), "");
}

// deploy/ as users apply it (kubectl apply -k), then the agent as the Deployment runs it: in-cluster
// configuration from KUBERNETES_SERVICE_HOST/PORT and the service account files at their real
// path (a private mount namespace puts them there), with that ServiceAccount's RBAC and nothing more.
class AgentInCluster : public Agent {
 protected:
  void SetUp() override { Start({"--token", "warren-sa-token=system:serviceaccount:warren:warren"}); }
};

TEST_F(AgentInCluster, DeployKustomizationThenRunWithItsServiceAccount) {
  const std::string deploy = std::string(WARREN_SOURCE_DIR) + "/deploy";
  RunResult lint = Warren("lint " + deploy);
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
  ASSERT_EQ(emu_->Kubectl("apply -f " + dir_ + "/namespace.yaml").exit_code, 0);  // the managed namespace exists first
  RunResult applied = emu_->Kubectl("apply -k " + deploy);
  ASSERT_EQ(applied.exit_code, 0) << applied.out;
  Json deployment = emu_->Admin("GET", "/apis/apps/v1/namespaces/warren/deployments/warren");
  EXPECT_EQ(deployment["spec"].value("replicas", 0), 2);
  EXPECT_EQ(emu_->Admin("GET", "/api/v1/namespaces/warren/configmaps/warren-config")["data"]
                .value("config.yaml", "")
                .find("sources:"),
            0u);

  std::string sa = emu_->dir() + "/serviceaccount";
  fs::create_directories(sa);
  std::ofstream(sa + "/token") << "warren-sa-token";
  std::ofstream(sa + "/namespace") << "warren";
  fs::copy_file(emu_->dir() + "/ca.crt", sa + "/ca.crt");
  std::vector<std::string> in_pod = {"/usr/bin/unshare",
                                     "-m",
                                     "--propagation",
                                     "private",
                                     "sh",
                                     "-c",
                                     "mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io && "
                                     "cp -r " +
                                         sa + " /run/secrets/kubernetes.io/serviceaccount && exec \"$0\" \"$@\""};
  emu_->ClearLog();
  AgentProcess agent(
      emu_->dir() + "/in-cluster.log",
      {"--in-cluster", dir_, "-n", "dev", "--inventory-namespace", "warren", "--leader-elect", "--force-conflicts",
       "--timeout", "30s", "--watch-sources", "--state-dir", emu_->dir() + "/state"},
      {"KUBERNETES_SERVICE_HOST=127.0.0.1", "KUBERNETES_SERVICE_PORT=" + std::to_string(emu_->port()), "KUBECONFIG="},
      in_pod);
  // Leader first, then ready: a follower is ready too, and readiness restarts with leadership
  // (checked the other way round, a slow first reconcile raced the test).
  ASSERT_TRUE(Eventually([&] { return agent.Metric("warren_leader") == 1 && Ready(agent) && Replicas() == 3; }, 60))
      << agent.Log();
  EXPECT_EQ(emu_->Admin("GET", "/apis/coordination.k8s.io/v1/namespaces/warren/leases/warren")["spec"]
                .value("holderIdentity", "")
                .empty(),
            false);
  EXPECT_TRUE(emu_->Admin("GET", "/api/v1/namespaces/warren/configmaps/warren-inventory")["data"].is_object());
  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=1").exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return Replicas() == 3; }, 15)) << agent.Log();
  // WarrenSources too: watched, and their status written, with deploy/'s RBAC.
  ASSERT_EQ(emu_->Kubectl("apply -f " + WriteTemp("ws.yaml",
                                                  "apiVersion: warren.io/v1alpha1\nkind: WarrenSource\n"
                                                  "metadata: {name: broken, namespace: dev}\n"
                                                  "spec: {repo: file:///nowhere, interval: 1h}\n"))
                .exit_code,
            0);
  EXPECT_TRUE(Eventually(
      [&] {
        Json ws = Get("warrensource broken");
        return ws.is_object() && Has(ws.value("status", Json::object()).dump(), "SourceFailed");
      },
      30))
      << agent.Log();
  // Everything it did, it was allowed to do.
  for (const Json& r : emu_->Log()) {
    if (r.value("user", "") == "system:serviceaccount:warren:warren") {
      EXPECT_NE(r.value("code", 0), 403) << r.dump();
    }
  }
  EXPECT_EQ(agent.Kill(SIGTERM).first, 0) << agent.Log();
}

}  // namespace
}  // namespace warren::testing
