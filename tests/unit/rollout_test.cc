// The pure part of broker-aware rollout: which StatefulSets it covers and what warren applies for
// them (overlay), the broker's verdicts read from management API answers as RabbitMQ 3.10.8 gives
// them (../shared/reference/broker-aware-rollout.md §2, §8), and the step machine.
#include <gtest/gtest.h>

#include "diff/engine/diff.h"
#include "diff/engine/render.h"
#include "diff/rollout/gate.h"
#include "diff/rollout/rollout.h"
#include "diff/rollout/step.h"
#include "tests/support/rabbit_statefulset.h"

namespace warren::rollout {
namespace {

Object Sts(const std::string& image, const std::string& roll, int replicas = 3) {
  return testing::RabbitStatefulSet(roll, replicas, image);
}

// A live StatefulSet as the API server returns it: defaults, status, and what warren applied.
Object Live(const Object& applied, int partition, const std::optional<RolloutState>& state = std::nullopt,
            int updated = 3) {
  Json doc = applied.doc();
  doc["metadata"]["uid"] = "u-1";
  doc["metadata"]["generation"] = 4;
  doc["spec"]["podManagementPolicy"] = "OrderedReady";
  doc["spec"]["updateStrategy"] = {{"type", "RollingUpdate"}, {"rollingUpdate", {{"partition", partition}}}};
  doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent";
  if (state) doc["metadata"]["annotations"][kStateAnnotation] = EncodeState(*state);
  int replicas = doc["spec"].value("replicas", 1);
  doc["status"] = {{"observedGeneration", 4},      {"replicas", replicas},
                   {"readyReplicas", replicas},    {"updatedReplicas", updated},
                   {"currentRevision", "rmq-old"}, {"updateRevision", updated == replicas ? "rmq-old" : "rmq-new"}};
  return Object(doc, SourceLocation{"(live)"});
}

int PartitionOf(const Object& o) { return o.doc()["spec"]["updateStrategy"]["rollingUpdate"]["partition"].get<int>(); }

TEST(RolloutScope, RabbitImagesAndTheAnnotationDecide) {
  EXPECT_TRUE(IsRabbitImage("rabbitmq:3.10.8-management"));
  EXPECT_TRUE(IsRabbitImage("docker.io/library/rabbitmq:3.13"));
  EXPECT_TRUE(IsRabbitImage("bitnami/rabbitmq@sha256:abc"));
  EXPECT_FALSE(IsRabbitImage("nginx:1.25"));
  EXPECT_FALSE(IsRabbitImage("rabbitmq-exporter/kbudde:1"));  // the repository's last component decides
  EXPECT_TRUE(BrokerAware(Sts("rabbitmq:3.10", "1")));
  EXPECT_FALSE(BrokerAware(Sts("nginx:1.25", "1")));
  Object opted_out = Sts("rabbitmq:3.10", "1");
  opted_out.mutable_doc()["metadata"]["annotations"][kModeAnnotation] = "controller";
  EXPECT_FALSE(BrokerAware(opted_out));
  Object opted_in = Sts("my/broker:1", "1");
  opted_in.mutable_doc()["metadata"]["annotations"][kModeAnnotation] = "broker-aware";
  EXPECT_TRUE(BrokerAware(opted_in));
}

TEST(RolloutOverlay, ANewTemplateIsAppliedWithEveryPodHeld) {
  Object live = Live(Sts("rabbitmq:3.10", "1"), 0, RolloutState{"old", 0, true});
  Overlaid o = OverlayRollout(Sts("rabbitmq:3.10", "2"), &live);
  ASSERT_TRUE(o.hold);
  EXPECT_TRUE(o.hold->started);
  EXPECT_FALSE(o.hold->restarted);
  EXPECT_EQ(PartitionOf(o.desired), 3);
  auto state = StateOf(o.desired.doc());
  ASSERT_TRUE(state);
  EXPECT_EQ(state->target, TemplateHash(Sts("rabbitmq:3.10", "2").doc()["spec"]["template"]));
  EXPECT_EQ(state->step, -1);
  EXPECT_FALSE(state->complete);
}

TEST(RolloutOverlay, WhatARolloutHoldsIsNeverDrift) {
  Object git = Sts("rabbitmq:3.10", "2");
  std::string target = TemplateHash(git.doc()["spec"]["template"]);
  // Mid-rollout: partition 1 held, state unfinished.
  Object live = Live(git, 1, RolloutState{target, 1, false}, 2);
  Overlaid o = OverlayRollout(git, &live);
  ASSERT_TRUE(o.hold);
  EXPECT_TRUE(o.hold->rolling);
  EXPECT_FALSE(o.hold->started);
  EXPECT_EQ(diff::DiffObject(o.desired, &live, {}).changes.size(), 0u);
  // Finished: partition 0 and the completed state, still no drift.
  Object done = Live(git, 0, RolloutState{target, 0, true});
  Overlaid after = OverlayRollout(git, &done);
  EXPECT_FALSE(after.hold->rolling);
  EXPECT_EQ(diff::DiffObject(after.desired, &done, {}).changes.size(), 0u);
}

TEST(RolloutOverlay, ATemplateChangedMidRolloutStartsAtTheTop) {
  Object git2 = Sts("rabbitmq:3.10", "2");
  Object live = Live(git2, 1, RolloutState{TemplateHash(git2.doc()["spec"]["template"]), 1, false}, 2);
  Overlaid o = OverlayRollout(Sts("rabbitmq:3.10", "3"), &live);
  EXPECT_TRUE(o.hold->restarted);
  EXPECT_EQ(PartitionOf(o.desired), 3);
}

TEST(RolloutOverlay, AHeldPartitionWithoutItsStateIsAdoptedNotReleased) {
  Object git = Sts("rabbitmq:3.10", "2");
  Object live = Live(git, 2, std::nullopt, 1);  // someone removed the annotation mid-rollout
  Overlaid o = OverlayRollout(git, &live);
  EXPECT_TRUE(o.hold->rolling);
  EXPECT_EQ(PartitionOf(o.desired), 2);
}

TEST(RolloutOverlay, AScaleDownIsHeldAtTheLiveCount) {
  Object live = Live(Sts("rabbitmq:3.10", "1", 5), 0, RolloutState{"t", 0, true});
  Overlaid o = OverlayRollout(Sts("rabbitmq:3.10", "1", 3), &live);
  EXPECT_TRUE(o.hold->scaling_down);
  EXPECT_EQ(o.desired.doc()["spec"]["replicas"], 5);
  EXPECT_EQ(StateOf(o.desired.doc())->scale_to, 3);
  // Scaling up needs no gate.
  Overlaid up = OverlayRollout(Sts("rabbitmq:3.10", "1", 7), &live);
  EXPECT_FALSE(up.hold->scaling_down);
  EXPECT_EQ(up.desired.doc()["spec"]["replicas"], 7);
}

// A StatefulSet at rest with nothing recorded is not hashed: its hold writes no state. Once a
// scale-down or a kept state is written, the target is the template's hash.
TEST(RolloutOverlay, AtRestWithNoStateTheTemplateIsNotHashed) {
  Object git = Sts("rabbitmq:3.10", "1", 3);
  const std::string hash = TemplateHash(git.doc()["spec"]["template"]);
  Object bare = Live(git, 0);
  std::optional<Hold> rest = HoldFor(git, &bare, false);
  ASSERT_TRUE(rest.has_value());
  EXPECT_FALSE(rest->record_state);
  EXPECT_EQ(rest->state.target, "");
  EXPECT_FALSE(StateOf(OverlayRollout(git, &bare).desired.doc()).has_value()) << "nothing written";
  Object scaled = Live(Sts("rabbitmq:3.10", "1", 5), 0);
  EXPECT_EQ(HoldFor(git, &scaled, false)->state.target, hash);
  Object kept = Live(git, 0, RolloutState{"", -1, true});
  EXPECT_EQ(HoldFor(git, &kept, false)->state.target, hash);
}

// A plan writes the hold into the copy its diff compares (HoldFor, WriteHold) instead of copying
// the object for it (OverlayRollout): the two must say the same, whatever the hold decided.
TEST(RolloutOverlay, AHoldWrittenIntoTheDiffsCopyDiffsAsTheHeldObject) {
  Object git2 = Sts("rabbitmq:3.10", "2");
  const std::string target2 = TemplateHash(git2.doc()["spec"]["template"]);
  struct Case {
    const char* what;
    Object git;
    Object live;
    bool holds_visibly;
  } cases[] = {
      {"at rest", git2, Live(git2, 0, RolloutState{target2, 0, true}), false},
      {"at rest, no state", git2, Live(git2, 0), false},
      {"a new template", git2, Live(Sts("rabbitmq:3.10", "1"), 0, RolloutState{"old", 0, true}), true},
      {"mid-rollout", git2, Live(git2, 1, RolloutState{target2, 1, false}, 2), false},
      {"a scale-down", Sts("rabbitmq:3.10", "2", 3), Live(Sts("rabbitmq:3.10", "2", 5), 0), true},
      {"a scale-down with a new template", Sts("rabbitmq:3.10", "3", 3), Live(Sts("rabbitmq:3.10", "2", 5), 0), true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    for (bool template_differs : {false, true}) {
      Overlaid held = OverlayRollout(c.git, &c.live, template_differs);
      std::optional<Hold> hold = HoldFor(c.git, &c.live, template_differs);
      ASSERT_TRUE(held.hold && hold);
      diff::ObjectDiff copied = diff::DiffObject(held.desired, &c.live, {});
      diff::ObjectDiff edited = diff::DiffObject(c.git, &c.live, {}, [&](Json& doc) { WriteHold(*hold, doc); });
      EXPECT_EQ(diff::ToJson(diff::DiffReport{{edited}}), diff::ToJson(diff::DiffReport{{copied}}));
      // Where the hold is seen (a new template's partition, a held count) it was written.
      if (c.holds_visibly && (template_differs || hold->scaling_down)) {
        EXPECT_NE(diff::ToJson(diff::DiffReport{{diff::DiffObject(c.git, &c.live, {})}}),
                  diff::ToJson(diff::DiffReport{{edited}}));
      }
    }
  }
  EXPECT_FALSE(HoldFor(Sts("nginx:1.25", "2"), &cases[0].live, false));  // not broker-aware
  EXPECT_FALSE(HoldFor(git2, nullptr, false));                           // nothing live to hold
}

TEST(RolloutOverlay, OtherStatefulSetsAndNewOnesAreLeftAlone) {
  Object nginx = Sts("nginx:1.25", "2");
  Object live = Live(Sts("nginx:1.25", "1"), 0);
  EXPECT_FALSE(OverlayRollout(nginx, &live).hold);
  EXPECT_FALSE(OverlayRollout(Sts("rabbitmq:3.10", "1"), nullptr).hold);  // created: nothing to protect
}

// --- the gate ------------------------------------------------------------------------------------

Json Nodes(bool node2_running) {
  return Json::parse(std::string(R"([{"name":"rabbit1@localhost","running":true,"partitions":[]},)") +
                     (node2_running ? R"({"name":"rabbit2@localhost","running":true,"partitions":[]},)"
                                    : R"({"name":"rabbit2@localhost","running":false},)") +
                     R"({"name":"rabbit3@localhost","running":true,"partitions":[]}])");
}

Answer Ok() { return {true, 200, R"({"status":"ok"})", ""}; }

GateInput Healthy() {
  GateInput in;
  in.node = "rabbit3@localhost";
  in.pod = "rabbitmq-2";
  in.version = "3.10.8";
  in.quorum_critical = Ok();
  in.mirror_sync_critical = Ok();
  in.nodes = Nodes(true);
  return in;
}

constexpr const char* kQuorumCritical =
    R"({"status":"failed","reason":"There are quorum queues that would lose their quorum if the target node is shut down","queues":[{"name":"qq.3","readable_name":"queue 'qq.3' in vhost '/'","type":"quorum","virtual_host":"/"}]})";

TEST(RolloutGate, PassesOnlyWhenEveryCheckAnswersOk) { EXPECT_EQ(JudgeGate(Healthy()).result, GateResult::kPass); }

TEST(RolloutGate, AQuorumCriticalNodeNamesTheQueueTheNodeAndThePod) {
  GateInput in = Healthy();
  in.quorum_critical = {true, 503, kQuorumCritical, ""};
  GateVerdict v = JudgeGate(in);
  EXPECT_EQ(v.result, GateResult::kFail);
  EXPECT_EQ(v.check, "node-is-quorum-critical");
  ASSERT_EQ(v.queues.size(), 1u);
  EXPECT_EQ(v.queues[0], "queue 'qq.3' in vhost '/'");
  EXPECT_NE(v.reason.find("queue 'qq.3' in vhost '/' would lose quorum if rabbit3@localhost (pod rabbitmq-2)"),
            std::string::npos)
      << v.reason;
}

TEST(RolloutGate, ANodeDownElsewhereFailsAndIsNamedAfterTheQueue) {
  GateInput in = Healthy();
  in.nodes = Nodes(false);
  GateVerdict alone = JudgeGate(in);
  EXPECT_EQ(alone.result, GateResult::kFail);
  EXPECT_NE(alone.reason.find("rabbit2@localhost is not running"), std::string::npos);
  in.quorum_critical = {true, 503, kQuorumCritical, ""};
  GateVerdict both = JudgeGate(in);
  EXPECT_EQ(both.check, "node-is-quorum-critical");
  EXPECT_NE(both.reason.find("; also node rabbit2@localhost is not running"), std::string::npos) << both.reason;
  // A node a scale-down removed is not expected to run.
  GateInput departed = Healthy();
  departed.nodes = Nodes(false);
  departed.departed = {"rabbit2@localhost"};
  EXPECT_EQ(JudgeGate(departed).result, GateResult::kPass);
}

TEST(RolloutGate, NoAnswerIsNeverAPass) {
  GateInput missing = Healthy();
  missing.quorum_critical = {true, 404, R"({"error":"Object Not Found","reason":"Not Found"})", ""};
  GateVerdict v = JudgeGate(missing);
  EXPECT_EQ(v.result, GateResult::kCannotVerify);
  EXPECT_NE(v.reason.find("404"), std::string::npos);
  GateInput refused = Healthy();
  refused.mirror_sync_critical = {false, 0, "", "Connection refused"};
  EXPECT_EQ(JudgeGate(refused).result, GateResult::kCannotVerify);
  GateInput unauthorised = Healthy();
  unauthorised.quorum_critical = {true, 401, "", ""};
  EXPECT_EQ(JudgeGate(unauthorised).result, GateResult::kCannotVerify);
  GateInput no_nodes = Healthy();
  no_nodes.nodes = Json();
  no_nodes.nodes_error = "timed out";
  EXPECT_EQ(JudgeGate(no_nodes).result, GateResult::kCannotVerify);
  GateInput starting = Healthy();
  starting.nodes[1].erase("partitions");  // a node that just started
  EXPECT_EQ(JudgeGate(starting).result, GateResult::kCannotVerify);
}

TEST(RolloutGate, TheMirrorCheckIsGoneOnlyFrom4) {
  GateInput in = Healthy();
  in.mirror_sync_critical = {true, 404, "", ""};
  EXPECT_EQ(JudgeGate(in).result, GateResult::kCannotVerify);
  in.version = "4.0.5";
  EXPECT_EQ(JudgeGate(in).result, GateResult::kPass);
  EXPECT_TRUE(MirrorCheckGone("4.1.1"));
  EXPECT_FALSE(MirrorCheckGone("3.13.7"));
}

TEST(RolloutGate, StreamsAreJudgedByWarrenWhereTheBrokerDoesNot) {
  EXPECT_TRUE(NeedsOwnStreamRule("3.10.8"));
  EXPECT_TRUE(NeedsOwnStreamRule("3.11.3"));
  EXPECT_FALSE(NeedsOwnStreamRule("3.11.4"));
  EXPECT_FALSE(NeedsOwnStreamRule("3.8.10"));  // no streams before 3.9
  GateInput in = Healthy();
  QueueReplicas s = ParseQueue(Json::parse(
      R"({"name":"str.3","vhost":"/","type":"stream","members":["rabbit1@localhost","rabbit2@localhost","rabbit3@localhost"],"online":["rabbit3@localhost","rabbit1@localhost"]})"));
  in.streams = {s};
  GateVerdict v = JudgeGate(in);
  EXPECT_EQ(v.result, GateResult::kFail);
  EXPECT_EQ(v.check, "stream replicas");
  in.streams[0].online.push_back("rabbit2@localhost");
  EXPECT_EQ(JudgeGate(in).result, GateResult::kPass);
}

TEST(RolloutGate, QuorumQueuesWithFewerThanThreeMembersCanNeverPass) {
  auto queues = ParseQueues(Json::parse(R"([
    {"name":"qq.1","vhost":"/","type":"quorum","members":["rabbit1@localhost"],"online":["rabbit1@localhost"]},
    {"name":"qq.2","vhost":"/","type":"quorum","members":["rabbit1@localhost","rabbit2@localhost"]},
    {"name":"qq.3","vhost":"/","type":"quorum","members":["rabbit1@localhost","rabbit2@localhost","rabbit3@localhost"]},
    {"name":"cq","vhost":"/","type":"classic","node":"rabbit1@localhost"}])"));
  EXPECT_EQ(NeverPassing(queues), (std::vector<std::string>{"queue 'qq.1' in vhost '/'", "queue 'qq.2' in vhost '/'"}));
}

TEST(RolloutRejoin, WaitsForTheNodeItsQuorumSeatsAndAutomaticMirrors) {
  RejoinInput in;
  in.node = "rabbit2@localhost";
  in.nodes = Nodes(false);
  EXPECT_FALSE(JudgeRejoin(in).done);
  in.nodes = Nodes(true);
  in.queues = ParseQueues(Json::parse(R"([
    {"name":"qq","vhost":"/","type":"quorum","members":["rabbit1@localhost","rabbit2@localhost","rabbit3@localhost"],
     "online":["rabbit1@localhost","rabbit3@localhost"]},
    {"name":"auto","vhost":"/","type":"classic","node":"rabbit1@localhost","slave_nodes":["rabbit2@localhost"],
     "synchronised_slave_nodes":[],"effective_policy_definition":{"ha-mode":"all","ha-sync-mode":"automatic"}},
    {"name":"manual","vhost":"/","type":"classic","node":"rabbit1@localhost","slave_nodes":["rabbit2@localhost"],
     "synchronised_slave_nodes":[],"effective_policy_definition":{"ha-mode":"all"}}])"));
  RejoinVerdict v = JudgeRejoin(in);
  EXPECT_FALSE(v.done);
  EXPECT_NE(v.waiting_for.find("queue 'qq' in vhost '/'"), std::string::npos) << v.waiting_for;
  in.queues[0].online.push_back("rabbit2@localhost");
  v = JudgeRejoin(in);
  EXPECT_FALSE(v.done);
  EXPECT_NE(v.waiting_for.find("queue 'auto'"), std::string::npos) << v.waiting_for;
  in.queues[1].synchronised.push_back("rabbit2@localhost");
  v = JudgeRejoin(in);
  EXPECT_TRUE(v.done);  // the manual-sync mirror is named, not waited for
  ASSERT_EQ(v.notes.size(), 1u);
  EXPECT_NE(v.notes[0].find("queue 'manual' in vhost '/' has ha-sync-mode: manual"), std::string::npos) << v.notes[0];
}

// --- the step machine ----------------------------------------------------------------------------

SetView Set(int replicas, int partition, RolloutState state) {
  SetView s;
  s.ns = "dev";
  s.name = "rabbitmq";
  s.generation = s.observed_generation = 5;
  s.replicas = replicas;
  s.partition = partition;
  s.update_revision = "rmq-new";
  s.state = state;
  return s;
}

std::map<int, PodView> Pods(const std::string& revisions, const std::string& ready = "") {
  std::map<int, PodView> out;
  for (size_t i = 0; i < revisions.size(); ++i) {
    if (revisions[i] == '-') continue;
    PodView p;
    p.name = "rabbitmq-" + std::to_string(i);
    p.revision = revisions[i] == 'n' ? "rmq-new" : "rmq-old";
    p.ready = ready.empty() || ready[i] == 'y';
    p.terminating = revisions[i] == 't';
    out[static_cast<int>(i)] = p;
  }
  return out;
}

TEST(RolloutStep, StepsFromTheHighestOrdinalWaitingForEachRejoin) {
  RolloutState st{"t", -1, false};
  Step s = NextStep(Set(3, 3, st), Pods("ooo"));
  EXPECT_EQ(s.kind, StepKind::kGate);
  EXPECT_EQ(s.ordinal, 2);
  EXPECT_EQ(s.rejoin, -1);
  st.step = 2;
  s = NextStep(Set(3, 2, st), Pods("oo-"));
  EXPECT_EQ(s.kind, StepKind::kWaitPod);
  EXPECT_EQ(s.ordinal, 2);
  s = NextStep(Set(3, 2, st), Pods("oon", "yyn"));
  EXPECT_EQ(s.kind, StepKind::kWaitPod);
  EXPECT_NE(s.reason.find("Ready"), std::string::npos);
  s = NextStep(Set(3, 2, st), Pods("oon"));
  EXPECT_EQ(s.kind, StepKind::kGate);
  EXPECT_EQ(s.ordinal, 1);
  EXPECT_EQ(s.rejoin, 2);
  st.step = 0;
  s = NextStep(Set(3, 0, st), Pods("nnn"));
  EXPECT_EQ(s.kind, StepKind::kComplete);
  EXPECT_EQ(s.rejoin, 0);
}

TEST(RolloutStep, NothingMovesUntilTheControllerSawTheSpec) {
  SetView s = Set(3, 2, {"t", 2, false});
  s.observed_generation = 4;
  EXPECT_EQ(NextStep(s, Pods("ooo")).kind, StepKind::kWaitController);
}

TEST(RolloutStep, APodDownBeforeItsTurnIsWaitedForNeverForced) {
  Step s = NextStep(Set(3, 2, {"t", 2, false}), Pods("oon", "ynn"));
  EXPECT_EQ(s.kind, StepKind::kWaitPod);  // pod 2 is updated but not Ready yet
  s = NextStep(Set(3, 2, {"t", 2, false}), Pods("oon", "yny"));
  EXPECT_EQ(s.kind, StepKind::kWaitPod);
  EXPECT_EQ(s.ordinal, 1);
  EXPECT_NE(s.reason.find("before its turn"), std::string::npos);
}

TEST(RolloutStep, StopsAtGitsPartitionAndReleasesWhatNeedsNoRestart) {
  SetView floor1 = Set(3, 1, {"t", 1, false});
  floor1.floor = 1;
  EXPECT_EQ(NextStep(floor1, Pods("onn")).kind, StepKind::kComplete);
  SetView already = Set(3, 3, {"t", -1, false});
  EXPECT_EQ(NextStep(already, Pods("nnn")).kind, StepKind::kRelease);
}

TEST(RolloutStep, OnDeleteGatesEveryPodTheSameWay) {
  SetView s = Set(3, 0, {"t", -1, false});
  s.on_delete = true;
  Step step = NextStep(s, Pods("ooo"));
  EXPECT_EQ(step.kind, StepKind::kGate);
  EXPECT_EQ(step.ordinal, 2);
}

TEST(RolloutStep, AScaleDownGatesEachLeavingPod) {
  RolloutState st{"t", 0, true};
  st.scale_to = 3;
  Step s = NextStep(Set(5, 0, st), Pods("nnnnn"));
  EXPECT_EQ(s.kind, StepKind::kGateScaleDown);
  EXPECT_EQ(s.ordinal, 4);
  s = NextStep(Set(4, 0, st), Pods("nnnnt"));
  EXPECT_EQ(s.kind, StepKind::kWaitPod);
  EXPECT_EQ(s.ordinal, 4);
  s = NextStep(Set(4, 0, st), Pods("nnnn"));
  EXPECT_EQ(s.kind, StepKind::kGateScaleDown);
  EXPECT_EQ(s.ordinal, 3);
  EXPECT_EQ(NextStep(Set(3, 0, st), Pods("nnn")).kind, StepKind::kIdle);
}

TEST(RolloutStep, NoStateNoRollout) {
  SetView s = Set(3, 0, {});
  s.state.reset();
  EXPECT_EQ(NextStep(s, Pods("ooo")).kind, StepKind::kIdle);
  EXPECT_EQ(NextStep(Set(3, 0, {"t", 0, true}), Pods("nnn")).kind, StepKind::kIdle);
}

}  // namespace
}  // namespace warren::rollout
