// WarrenSource objects as sources (agent/run/warren_source.h, source_status.h,
// source_controller.h): decoding with errors that name the field, the status conditions each
// report leads to, and the controller on the fake Kubernetes API and a stepped clock — created,
// suspended, asked to reconcile, deleted. agent_sources_test proves the same with kubectl on the
// emulator.
#include <gtest/gtest.h>

#include <thread>

#include "agent/run/source_controller.h"
#include "agent/run/source_requests.h"
#include "agent/run/source_status.h"
#include "agent/run/warren_source.h"
#include "tests/support/fake_kube.h"
#include "tests/support/stepped_clock.h"

namespace warren::run {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kWithin{2000};  // "at once": real time, on a loaded machine

Json Source(const std::string& spec, long long generation = 1) {
  Json o = Json::parse(R"({"apiVersion":"warren.io/v1alpha1","kind":"WarrenSource",
    "metadata":{"name":"prod","namespace":"dev","uid":"u-1"}})");
  o["metadata"]["generation"] = generation;
  o["spec"] = Json::parse(spec);
  return o;
}

TEST(WarrenSourceDecode, TheSpecBecomesASourceWithCredentialFiles) {
  SourceSpec defaults;
  defaults.desired.kustomize.command = "kustomize";
  auto w = DecodeWarrenSource(Source(R"({"repo":"https://git.example.com/r.git","ref":"release","path":"deploy",
      "secretRef":{"name":"git"},"interval":"90s","prune":true,"suspend":true,"serviceAccountName":"deployer",
      "targetNamespace":"rabbit","decryption":{"provider":"sops","secretRef":{"name":"age"}},
      "rabbitmq":{"urls":["http://a:15672","http://b:15672"],"credentialsSecretRef":{"name":"mq"},"timeout":"5s"}})"),
                              defaults, "/state");
  ASSERT_TRUE(w.ok()) << w.status().message();
  const SourceSpec& s = w.value().spec;
  EXPECT_EQ(s.name, "dev.prod");
  EXPECT_EQ(s.desired.git->url, "https://git.example.com/r.git");
  EXPECT_EQ(s.desired.git->ref, "release");
  EXPECT_EQ(s.desired.git->path, "deploy");
  EXPECT_EQ(s.desired.git->cache_dir, "/state/repos/dev.prod");
  EXPECT_EQ(s.desired.git->auth_file, "/state/credentials/dev.prod/git-auth");
  EXPECT_EQ(s.desired.kustomize.command, "kustomize");
  EXPECT_EQ(s.interval, milliseconds(90000));
  EXPECT_TRUE(s.prune);
  EXPECT_TRUE(s.suspend);
  EXPECT_EQ(s.ns, "rabbit");
  EXPECT_EQ(s.inventory_ns, "dev");
  EXPECT_EQ(s.desired.decryption.secret, "dev/age");
  ASSERT_TRUE(s.rabbit.has_value());
  EXPECT_EQ(s.rabbit->urls.size(), 2u);
  EXPECT_EQ(s.rabbit->credentials_file, "/state/credentials/dev.prod/rabbitmq");
  EXPECT_EQ(s.rabbit->timeout, milliseconds(5000));
  EXPECT_EQ(w.value().User(), "system:serviceaccount:dev:deployer");
  EXPECT_TRUE(s.dry_run_first) << "bounded by RBAC: a commit is dry-run whole before it is applied";
  EXPECT_EQ(w.value().git_secret, "git");
  EXPECT_EQ(w.value().rabbit_secret, "mq");
}

TEST(WarrenSourceDecode, CommitStatusesOfItsOwn) {
  auto w = DecodeWarrenSource(Source(R"({"repo":"file:///r","commitStatus":{"provider":"gitlab",
      "apiUrl":"https://gitlab.example.com/api/v4","repo":"42","secretRef":{"name":"forge"}}})"),
                              {}, "/state");
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_TRUE(w.value().statuses.has_value());
  EXPECT_EQ(w.value().statuses->provider, "gitlab");
  EXPECT_EQ(w.value().statuses->repo, "42");
  EXPECT_EQ(w.value().statuses->token_file, "/state/credentials/dev.prod/forge-token");
  EXPECT_EQ(w.value().status_secret, "forge");
  auto bad = DecodeWarrenSource(Source(R"({"repo":"file:///r","commitStatus":{"provider":"bitbucket",
      "apiUrl":"x","repo":"y","secretRef":{"name":"forge"}}})"),
                                {}, "/state");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "WarrenSource dev/prod: spec.commitStatus.provider: \"bitbucket\" is not one of github, gitea, gitlab");
}

TEST(WarrenSourceDecode, SshRepositoriesGetAKeyAndKnownHosts) {
  auto w = DecodeWarrenSource(Source(R"({"repo":"ssh://git@git.example.com/r.git","secretRef":{"name":"git"}})"), {},
                              "/state");
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w.value().spec.desired.git->ssh_key, "/state/credentials/dev.prod/git-identity");
  EXPECT_EQ(w.value().spec.desired.git->known_hosts, "/state/credentials/dev.prod/git-known-hosts");
  EXPECT_EQ(w.value().spec.desired.git->auth_file, "");
  EXPECT_EQ(w.value().User(), "") << "no service account: the agent's own rights";
  EXPECT_FALSE(w.value().spec.dry_run_first);
}

TEST(WarrenSourceDecode, ErrorsNameTheObjectAndTheField) {
  struct Case {
    const char* spec;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {R"({})", "WarrenSource dev/prod: spec.repo: a git repository URL is needed"},
           {R"({"repo":"file:///r","interval":"5x"})", "WarrenSource dev/prod: spec.interval: "},
           {R"({"repo":"file:///r","interval":"0s"})", "WarrenSource dev/prod: spec.interval: must be more than 0"},
           {R"({"repo":"file:///r","prune":"yes"})", "WarrenSource dev/prod: spec.prune: must be true or false"},
           {R"({"repo":"file:///r","decryption":{"provider":"vault","secretRef":{"name":"k"}}})",
            "WarrenSource dev/prod: spec.decryption.provider: \"vault\" is not supported (sops is)"},
           {R"({"repo":"file:///r","rabbitmq":{"urls":[]}})",
            "WarrenSource dev/prod: spec.rabbitmq.urls: at least one management URL"},
           {R"({"repo":"file:///r","secretRef":{}})", "WarrenSource dev/prod: spec.secretRef.name: must name a Secret"},
       }) {
    auto w = DecodeWarrenSource(Source(c.spec), {}, "/state");
    ASSERT_FALSE(w.ok()) << c.spec;
    EXPECT_EQ(w.status().message().rfind(c.error, 0), 0u) << w.status().message();
  }
}

TEST(WarrenSourceDecode, LongNamesMakeLabelsOfAtMost63Characters) {
  EXPECT_EQ(SourceLabel("dev", "prod"), "dev.prod");
  std::string long_name(80, 'x');
  std::string a = SourceLabel("dev", long_name), b = SourceLabel("dev", long_name + "y");
  EXPECT_EQ(a.size(), 63u);
  EXPECT_NE(a, b);
}

std::string ConditionOf(const Json& status, const std::string& type, const char* field = "status") {
  for (const Json& c : status.value("conditions", Json::array()))
    if (c.value("type", "") == type) return c.value(field, "");
  return "";
}

TEST(SourceStatus, ReportsBecomeConditionsAsFluxWritesThem) {
  Json s = StartedSourceStatus(Json::object(), 1, false, "t0");
  EXPECT_EQ(ConditionOf(s, "Ready"), "Unknown");
  EXPECT_EQ(ConditionOf(s, "Reconciling"), "True");
  s = NextSourceStatus(s, {"c1", "warren/sync", forge::State::kPending, "applying c1"}, 1, false, "t1");
  EXPECT_EQ(s["lastAttemptedRevision"], "c1");
  s = NextSourceStatus(s, {"c1", "warren/sync", forge::State::kSuccess, "in sync: 7 objects"}, 1, false, "t2");
  EXPECT_EQ(ConditionOf(s, "Ready"), "True");
  EXPECT_EQ(ConditionOf(s, "Ready", "reason"), "ReconciliationSucceeded");
  EXPECT_EQ(ConditionOf(s, "Ready", "lastTransitionTime"), "t2");
  EXPECT_EQ(ConditionOf(s, "Reconciling"), "");
  EXPECT_EQ(s["lastAppliedRevision"], "c1");
  EXPECT_EQ(s["conditions"][0]["type"], "Ready") << "Ready first";

  // A new commit: Ready keeps its verdict (and its time) while it is applied.
  s = NextSourceStatus(s, {"c2", "warren/sync", forge::State::kPending, "applying c2"}, 1, false, "t3");
  EXPECT_EQ(ConditionOf(s, "Ready"), "True");
  s = NextSourceStatus(s, {"c2", "warren/sync", forge::State::kSuccess, "in sync"}, 1, false, "t4");
  EXPECT_EQ(ConditionOf(s, "Ready", "lastTransitionTime"), "t2");

  // Needs action: Stalled until something changes; a failure that is retried is not stalled.
  s = NextSourceStatus(s, {"c3", "warren/sync", forge::State::kFailure, "1 needs action: ConfigMap dev/x: conflict"}, 1,
                       false, "t5");
  EXPECT_EQ(ConditionOf(s, "Ready"), "False");
  EXPECT_EQ(ConditionOf(s, "Ready", "reason"), "NeedsAction");
  EXPECT_EQ(ConditionOf(s, "Stalled"), "True");
  EXPECT_EQ(s["lastAppliedRevision"], "c2");
  s = NextSourceStatus(s, {"c4", "warren/sync", forge::State::kFailure, "1 not in sync: ConfigMap dev/x: 403"}, 1,
                       false, "t6");
  EXPECT_EQ(ConditionOf(s, "Ready", "reason"), "ApplyFailed");
  EXPECT_EQ(ConditionOf(s, "Stalled"), "");
  s = NextSourceStatus(s, {"", "warren/source", forge::State::kError, "git: 401"}, 1, false, "t7");
  EXPECT_EQ(ConditionOf(s, "Ready", "reason"), "SourceFailed");

  // The broker and the rollout have places of their own, whatever Ready says.
  s = NextSourceStatus(s, {"c4", "warren/health", forge::State::kFailure, "2 of 3 nodes running"}, 1, false, "t8");
  s = NextSourceStatus(s, {"c4", "warren/rollout", forge::State::kPending, "pod 1 of 3"}, 1, false, "t8");
  EXPECT_EQ(s["rabbitmq"]["health"], "2 of 3 nodes running");
  EXPECT_EQ(s["rollout"]["message"], "pod 1 of 3");
}

TEST(SourceStatus, RestartsNewGenerationsSuspensionAndBadSpecs) {
  Json ready =
      NextSourceStatus(Json::object(), {"c1", "warren/sync", forge::State::kSuccess, "in sync"}, 1, false, "t1");
  Json again = StartedSourceStatus(ready, 1, false, "t2");  // the agent restarted
  EXPECT_EQ(ConditionOf(again, "Ready"), "True");
  EXPECT_EQ(ConditionOf(again, "Ready", "lastTransitionTime"), "t1");
  Json next = StartedSourceStatus(ready, 2, false, "t2");  // the spec changed
  EXPECT_EQ(ConditionOf(next, "Ready"), "Unknown");
  EXPECT_EQ(next["observedGeneration"], 2);
  Json suspended = StartedSourceStatus(ready, 2, true, "t2");
  suspended = NextSourceStatus(suspended, {"c2", "warren/sync", forge::State::kSuccess, "in sync"}, 2, true, "t3");
  EXPECT_EQ(ConditionOf(suspended, "Ready", "lastTransitionTime"), "t1") << "a dry run's findings are no verdict";
  EXPECT_EQ(suspended["lastAppliedRevision"], "c1");
  Json bad = InvalidSourceStatus(ready, 3, "InvalidSpec", "spec.interval: must be more than 0", "t4");
  EXPECT_EQ(ConditionOf(bad, "Ready"), "False");
  EXPECT_EQ(ConditionOf(bad, "Stalled", "reason"), "InvalidSpec");
}

// The controller on the fake API: objects come and go, their loops with them.
class SourceControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_.health_interval = std::chrono::hours(1);
    agent_.watch_seconds = 1;
    auto log = Logger::Create({"text", "error"});
    ASSERT_TRUE(log.ok());
    log_ = log.value();
    ctx_.kube = &kube_;
    ctx_.metrics = &metrics_;
    ctx_.log = log_.get();
    ctx_.events = &events_;
    ctx_.agent = &agent_;
    ctx_.clock = &clock_;
    ctx_.load = [this](const source::DesiredSource& src) {
      std::lock_guard<std::mutex> lock(mu_);
      loads_.push_back(src.git ? src.git->url : "");
      source::Desired d;
      d.commit = commit_;
      d.manifests.objects = {Object(Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
        "metadata":{"name":"app","namespace":"dev"},"data":{"v":")" +
                                                value_ + R"("}})"),
                                    {"app.yaml"})};
      return Result<source::Desired>(d);
    };
    r_ = kube_.Resolve("warren.io/v1alpha1", "WarrenSource").value();
  }
  void TearDown() override {
    term_.RequestStop();
    if (thread_.joinable()) thread_.join();
  }
  void Start() {
    controller_ = std::make_unique<SourceController>(SourceControllerOptions{"", "/tmp/warren-unit-state", {}}, ctx_,
                                                     [this](const std::string& user) {
                                                       users_.push_back(user);
                                                       return kube_.Stoppable(StopToken());
                                                     });
    thread_ = std::thread([this] { controller_->Run(term_); });
  }
  Json Stored() const { return kube_.Stored("warrensources.warren.io", "dev", "prod"); }
  std::string Ready() const { return ConditionOf(Stored().value("status", Json::object()), "Ready"); }
  std::string Value() const {
    Json cm = kube_.Stored("configmaps", "dev", "app");
    return cm.is_object() ? cm["data"].value("v", "") : "";
  }
  // Changes the stored object as kubectl edit would, again when the status writer got there first.
  void Modify(const std::function<void(Json&)>& change) {
    for (int i = 0; i < 100; ++i) {
      Json o = Stored();
      change(o);
      auto updated = kube_.Update(r_, "dev", o);
      if (updated.ok()) return;
      ASSERT_EQ(updated.status().code(), StatusCode::kConflict) << updated.status().message();
    }
    FAIL() << "the object kept changing";
  }
  void Set(const std::string& commit, const std::string& value) {
    std::lock_guard<std::mutex> lock(mu_);
    commit_ = commit;
    value_ = value;
  }

  testing::FakeKube kube_;
  testing::SteppedClock clock_;
  Metrics metrics_;
  EventRecorder events_{"warren", "test"};
  AgentOptions agent_;
  std::shared_ptr<Logger> log_;
  SourceContext ctx_;
  kube::ResourceInfo r_;
  std::mutex mu_;
  std::vector<std::string> loads_, users_;
  std::string commit_ = "c1", value_ = "one";
  StopSource term_;
  std::unique_ptr<SourceController> controller_;
  std::thread thread_;
};

TEST_F(SourceControllerTest, CreatedSuspendedRequestedAndDeleted) {
  ASSERT_TRUE(kube_.Create(r_, "dev", Source(R"({"repo":"file:///r","serviceAccountName":"deployer"})")).ok());
  Start();
  ASSERT_TRUE(kube_.WaitFor([&] { return Ready() == "True" && Value() == "one"; }, kWithin)) << Stored().dump();
  EXPECT_EQ(Stored()["status"]["lastAppliedRevision"], "c1");
  EXPECT_EQ(users_, std::vector<std::string>{"system:serviceaccount:dev:deployer"});

  // Suspended (a new generation): a new commit is looked at, not applied.
  Modify([](Json& o) {
    o["spec"]["suspend"] = true;
    o["metadata"]["generation"] = 2;
  });
  Set("c2", "two");
  ASSERT_TRUE(kube_.WaitFor([&] { return Stored()["status"].value("observedGeneration", 0) == 2; }, kWithin));
  Modify([](Json& o) { o["metadata"]["annotations"][kReconcileRequestedAt] = "r1"; });
  std::this_thread::sleep_for(milliseconds(200));  // nothing is to happen: a bounded look
  EXPECT_EQ(Value(), "one");
  EXPECT_EQ(Stored()["status"]["lastAppliedRevision"], "c1");

  // Resumed, then asked: the new commit is applied at once (the interval is five minutes away).
  Modify([](Json& o) {
    o["spec"]["suspend"] = false;
    o["metadata"]["generation"] = 3;
  });
  ASSERT_TRUE(kube_.WaitFor([&] { return Value() == "two"; }, kWithin)) << Stored().dump();
  Set("c3", "three");
  Modify([](Json& o) { o["metadata"]["annotations"][kReconcileRequestedAt] = "r2"; });
  ASSERT_TRUE(kube_.WaitFor(
      [&] { return Value() == "three" && Stored()["status"].value("lastHandledReconcileAt", "") == "r2"; }, kWithin))
      << Stored().dump();

  ASSERT_TRUE(kube_.Delete(r_, "dev", "prod", "Background", "").ok());
  ASSERT_TRUE(kube_.WaitFor([&] { return controller_->running() == 0; }, kWithin));
  EXPECT_EQ(Value(), "three") << "its objects stay";
}

// warren suspend|resume|reconcile on the fake API: the writes they make and the answers they wait for.
TEST(SourceRequests, SuspendResumeAndReconcile) {
  testing::FakeKube kube;
  auto r = kube.Resolve(kWarrenSourceApiVersion, kWarrenSourceKind).value();
  ASSERT_TRUE(kube.Create(r, "dev", Source(R"({"repo":"file:///r"})")).ok());
  const SourceRef ref{"dev", "prod"};
  ASSERT_TRUE(SetSuspended(kube, ref, true).ok());
  EXPECT_EQ(kube.Stored("warrensources.warren.io", "dev", "prod")["spec"]["suspend"], true);
  StopSource stop;
  auto refused = RequestReconcile(kube, ref, "t1", milliseconds(0), Clock::Real(), stop.token());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "WarrenSource dev/prod is suspended: resume it first");
  ASSERT_TRUE(SetSuspended(kube, ref, false).ok());
  // Nobody answers: the wait ends at the deadline, saying what to look at.
  auto unanswered = RequestReconcile(kube, ref, "t2", milliseconds(0), Clock::Real(), stop.token());
  ASSERT_FALSE(unanswered.ok());
  EXPECT_NE(unanswered.status().message().find("has not handled the reconcile request"), std::string::npos);
  EXPECT_EQ(kube.Stored("warrensources.warren.io", "dev", "prod")["metadata"]["annotations"][kReconcileRequestedAt],
            "t2");
  // The agent's answer: handled, with Ready as the reconcile left it.
  Json status =
      NextSourceStatus(Json::object(), {"c1", "warren/sync", forge::State::kSuccess, "in sync"}, 1, false, "t");
  status["lastHandledReconcileAt"] = "t3";
  ASSERT_TRUE(kube.PatchStatus(r, "dev", "prod", status).ok());
  auto answered = RequestReconcile(kube, ref, "t3", milliseconds(1000), Clock::Real(), stop.token());
  ASSERT_TRUE(answered.ok()) << answered.status().message();
  EXPECT_EQ(answered.value().ready, "True");
  EXPECT_EQ(answered.value().revision, "c1");
  auto missing = SetSuspended(kube, {"dev", "nope"}, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "WarrenSource dev/nope not found");
}

}  // namespace
}  // namespace warren::run
