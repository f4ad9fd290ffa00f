#include "agent/reconcile/reconcile.h"

#include <openssl/rand.h>

#include <algorithm>
#include <optional>
#include <set>

#include "agent/kube/live_state.h"
#include "agent/rabbitmq/live_topology.h"
#include "agent/rabbitmq/topology_apply.h"
#include "agent/reconcile/kube_stage.h"
#include "diff/engine/attribution.h"
#include "diff/engine/diff.h"
#include "diff/model/base64.h"
#include "diff/model/object.h"
#include "diff/rabbit/broker_version.h"
#include "diff/rabbit/desired_topology.h"
#include "diff/rabbit/topology_diff.h"
#include "diff/rollout/rollout.h"

namespace warren::reconcile {
namespace {

// The broker answers once its pods are up, and is whole once `expected` nodes run in its cluster.
Status WaitForBroker(rabbitmq::ManagementApi& client, int expected, const Options& o, const StopToken& stop) {
  const Clock& clock = o.clock ? *o.clock : Clock::Real();
  auto deadline = clock.Now() + o.timeout;
  std::string last;
  while (true) {
    auto r = client.Get("/api/nodes");
    if (!r.ok() && (r.status().code() == StatusCode::kUnauthenticated || r.status().code() == StatusCode::kCancelled))
      return r.status();
    if (r.ok()) {
      int running = 0;
      for (const Json& n : r.value()) running += BoolField(n, "running", false);
      if (running >= expected) return Status::Ok();
      last = std::to_string(running) + "/" + std::to_string(expected) + " RabbitMQ nodes running";
    } else {
      last = r.status().message();
    }
    if (clock.Now() > deadline)
      return Status::Unavailable("RabbitMQ not ready within " + std::to_string(o.timeout.count()) + " s: " + last);
    if (o.progress) o.progress("waiting for RabbitMQ: " + last);
    if (!clock.SleepFor(std::chrono::milliseconds(500), stop))
      return Status::Cancelled("stopped while waiting for RabbitMQ");
  }
}

// A failure of the stage as a whole (no object to name): the cluster, or the inventory.
void StageFailed(ResourceKey key, std::string message, Report& report) {
  diff::ApplyResult r;
  r.object.key = std::move(key);
  r.outcome = diff::Outcome::kFailed;
  r.message = std::move(message);
  report.applied.results.push_back(std::move(r));
}

// Server-side fields a dry-run answer carries that are not part of the intent.
Object StripServerFields(Object o) {
  Json& meta = o.mutable_doc()["metadata"];
  for (const char* f : {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"}) meta.erase(f);
  o.mutable_doc().erase("status");
  return o;
}

// The rollout state annotation is warren's bookkeeping, applied with the hold: not a change to show
// (an object whose only difference it is needs no apply).
void HideRolloutState(diff::ObjectDiff& d) {
  static const std::string pointer = "/metadata/annotations/" + EscapePointerToken(rollout::kStateAnnotation);
  std::erase_if(d.changes, [&](const diff::Change& c) { return c.path == pointer; });
  if (d.action == diff::Action::kUpdate && d.changes.empty()) d.action = diff::Action::kUnchanged;
}

// A rollout that did not finish is a failure of its StatefulSet: sync exits 1 naming the queue,
// the check, the node and the pod.
void RolloutFailed(const Object& sts, const std::string& message, Report& report,
                   diff::Outcome outcome = diff::Outcome::kFailed) {
  diff::ApplyResult r;
  r.object.key = sts.key();
  r.object.api_version = sts.api_version();
  r.object.action = diff::Action::kUpdate;
  r.outcome = outcome;
  r.message = message;
  report.applied.results.push_back(std::move(r));
}

void DriveRollout(const Object& sts, kube::Api& kube, const Options& o, const StopToken& stop, Report& report) {
  rollout::DriverOptions d = o.rollout;
  if (!d.clock) d.clock = o.clock;
  if (!d.progress) d.progress = o.progress;
  d.timeout = o.timeout;
  if (!d.connect_node) {
    RolloutFailed(sts,
                  "rollout held, not started: no RabbitMQ target to ask before each pod restarts (the new "
                  "template is applied; no pod restarted)",
                  report);
    return;
  }
  rollout::Driver driver(kube, d);
  auto p = driver.Run(sts, stop);
  if (!p.ok()) return RolloutFailed(sts, "rollout: " + p.status().message() + " (held: no pod deleted)", report);
  for (const std::string& n : p.value().notes) report.notes.push_back(p.value().statefulset + ": " + n);
  // A step the broker refused is not retried blindly: someone looks at the queue it names.
  if (p.value().halted)
    RolloutFailed(sts, "rollout halted: " + p.value().Summary(), report, diff::Outcome::kNeedsAction);
  report.rollouts.push_back(std::move(p).value());
}

// What a plan says about a held StatefulSet: the gated rollout it starts or continues, and with
// a way to reach the nodes, what the next node's broker says now.
void PlanRollout(const Object& sts, const rollout::Hold& h, const Targets& t, const Options& o, Report& report) {
  if (!h.rolling && !h.scaling_down) return;
  std::string name = sts.key().ToString();
  if (h.started)
    report.rollout_plan.push_back(
        name + ": the template change is a gated rollout: applied with partition " + std::to_string(h.partition) +
        " (no pod restarts), then pods " + std::to_string(h.replicas - 1) + "…" +
        std::to_string(rollout::GitPartition(sts)) + " one at a time, each after its node's broker allows it" +
        (h.restarted ? " (the unfinished rollout of the previous template starts over)" : ""));
  else if (h.rolling)
    report.rollout_plan.push_back(name + ": rollout in progress, partition held at " + std::to_string(h.partition));
  if (h.scaling_down)
    report.rollout_plan.push_back(name + ": scale-down to " + std::to_string(h.state.scale_to) +
                                  " is gated: each leaving pod first passes its node's broker checks");
  if (!t.kube || !o.rollout.connect_node) return;
  int next = h.scaling_down ? h.replicas - 1 : std::min(h.partition, h.replicas) - 1;
  if (next < rollout::GitPartition(sts)) return;
  rollout::Driver driver(*t.kube, o.rollout);
  rollout::SetView set;
  set.ns = sts.ns();
  set.name = sts.name();
  set.service = StringField(Field(sts.doc(), "spec"), "serviceName");
  auto v = driver.AskGate(set, next, h.state.departed);
  std::string pod = sts.name() + "-" + std::to_string(next);
  if (!v.ok())
    report.rollout_plan.push_back(name + ": pod " + pod + " would wait: cannot verify: " + v.status().message());
  else if (v.value().result == rollout::GateResult::kPass)
    report.rollout_plan.push_back(name + ": pod " + pod + " may restart now: its node's broker checks pass");
  else
    report.rollout_plan.push_back(name + ": pod " + pod + " would wait: " + v.value().reason);
}

void KubernetesStage(std::vector<Object> desired, const Targets& t, const Options& o, const StopToken& stop,
                     Report& report) {
  if (o.ownership_labels)
    for (Object& obj : desired) obj = Owned(std::move(obj), o.source);
  const ResourceKey cluster{"", "Cluster", "", t.kube ? t.kube->Server() : "live state"};
  std::optional<LiveFromApi> from_api;
  if (!t.live) from_api.emplace(*t.kube);
  auto live = t.live ? t.live->Live(desired) : from_api->Live(desired);
  if (!live.ok()) return StageFailed(cluster, live.status().message(), report);
  // From a cluster, what is not desired is judged by the inventory alone: a LIST also shows
  // labelled objects that are not warren's to prune (the inventory itself, another source's).
  // A captured state has no inventory: its labelled extras stand as prunes (diff::Diff's rule).
  std::vector<Object> others;
  if (t.kube) {
    std::set<ResourceKey> wanted;
    for (const Object& d : desired) wanted.insert(d.key());
    std::vector<Object> kept;
    for (Object& l : live.value()) (wanted.count(l.key()) ? kept : others).push_back(std::move(l));
    live.value() = std::move(kept);
  }
  // A plan with prune on shows what the sync would prune, by the same rule (diff::JudgePrune): the
  // agent's dry run and drift checks report the prune candidates `warren diff` shows. (Applying
  // reads the inventory itself.) Unreadable: said, and the rest of the plan stands.
  if (o.plan_only && o.prune && t.kube) {
    auto inventory = ReadInventory(*t.kube, o.inventory_namespace, o.inventory_name);
    auto prunes = inventory.ok()
                      ? PruneCandidates(*t.kube, inventory.value(), desired, others)
                      : Result<std::vector<Object>>(inventory.status().WithContext("read warren's inventory"));
    if (prunes.ok()) {
      for (Object& p : prunes.value()) live.value().push_back(std::move(p));
    } else {
      StageFailed(ResourceKey{"", "ConfigMap", o.inventory_namespace, o.inventory_name},
                  "prune candidates: " + prunes.status().message(), report);
    }
  }
  if (o.plan_only && o.server_dry_run && t.kube) {
    auto predicted = kube::PredictApply(*t.kube, desired);
    if (!predicted.ok()) return StageFailed(cluster, predicted.status().message(), report);
    desired.clear();
    for (Object& p : predicted.value()) desired.push_back(StripServerFields(std::move(p)));
  }
  // Broker-aware StatefulSets are applied with their rollout's hold (partition, replicas, state):
  // what a rollout holds is never drift, and a new template never reaches a pod unasked. Each is
  // held and diffed with the other pairs, across the cores.
  struct Held {
    size_t index = 0;  // in `desired`, and in the plan
    Object unheld;     // git's StatefulSet as warren applies it without the hold
    rollout::Hold hold;
    // A held scale-down, said as drift: attributed in the pair's diff, while the live object is
    // at hand (one kept as text is let go after it).
    std::optional<diff::Change> scale_down;
  };
  std::vector<std::unique_ptr<Held>> held_at(desired.size());  // each made by the pair's thread
  auto hold_and_diff = [&](size_t i, const Object* l) {
    Object& d = desired[i];
    // Held first as if the template were unchanged (the common case; a hold never touches the
    // template): the diff then says whether it is, and only then is it held and diffed again.
    std::optional<rollout::Hold> hold = rollout::HoldFor(d, l, false);
    if (!hold) return diff::DiffObject(d, l, o.diff_options);
    auto write_hold = [&](Json& doc) { rollout::WriteHold(*hold, doc); };
    diff::ObjectDiff out = diff::DiffObject(d, l, o.diff_options, write_hold);
    if (rollout::TemplateChanged(out)) {
      hold = rollout::HoldFor(d, l, true);
      out = diff::DiffObject(d, l, o.diff_options, write_hold);
    }
    // Kept when there is a rollout to plan or drive (most StatefulSets are at rest).
    if (hold->rolling || hold->scaling_down) {
      Held& h = *(held_at[i] = std::make_unique<Held>(Held{i, d, *hold, std::nullopt}));
      if (hold->scaling_down && l) {
        std::vector<diff::Change> c{
            {"/spec/replicas", ".spec.replicas", diff::Op::kReplace, hold->replicas, hold->state.scale_to}};
        diff::Attribute(l->doc(), o.diff_options.field_manager, &c);  // who scaled it
        h.scale_down = std::move(c.front());
      }
    }
    // What is applied is held. A plan has no use for the held object beyond its diff, which wrote
    // the hold into the copy it compares (a copy each was a quarter of a 10,000-StatefulSet diff's
    // memory).
    if (!o.plan_only) rollout::WriteHold(*hold, d.mutable_doc());
    HideRolloutState(out);
    return out;
  };
  diff::DiffReport plan = diff::DiffEach(desired, live.value(), hold_and_diff);
  std::vector<Held*> held;
  for (std::unique_ptr<Held>& h : held_at)
    if (h) held.push_back(h.get());
  // A held scale-down is drift all the same (git asks for fewer replicas), shown as such; it is
  // not applied as part of the object but stepped down by the rollout, node by node. What is
  // applied is the plan without it: a copy, made only when there is a scale-down to show.
  std::optional<diff::DiffReport> to_apply;
  for (Held* h : held) {
    if (!h->scale_down) continue;
    if (!to_apply && !o.plan_only) to_apply = plan;
    diff::ObjectDiff& d = plan.objects[h->index];
    bool only_replicas = d.action == diff::Action::kUnchanged;
    diff::Change c = std::move(*h->scale_down);
    auto at = std::find_if(d.changes.begin(), d.changes.end(), [&](const diff::Change& x) { return x.path > c.path; });
    d.changes.insert(at, std::move(c));  // in document order, as the diff lists changes
    if (only_replicas) d.action = diff::Action::kUpdate;
  }
  if (o.plan_only) {
    for (const Held* h : held) PlanRollout(h->unheld, h->hold, t, o, report);
  } else {
    KubeStageOptions k;
    k.dry_run = o.dry_run;
    k.prune = o.prune;
    k.force_conflicts = o.force_conflicts;
    k.continue_on_error = o.continue_on_error;
    k.concurrency = o.apply_concurrency;
    k.timeout = o.timeout;
    k.inventory_namespace = o.inventory_namespace;
    k.inventory_name = o.inventory_name;
    k.source = o.source;
    k.clock = o.clock;
    k.wait_ready = o.wait_ready;
    k.partial = o.partial;
    k.progress = o.progress;
    k.write_lock = o.kube_write_lock;
    k.on_applied = o.on_kube_applied;
    diff::ApplyReport applied = ApplyKubernetes(*t.kube, desired, live.value(), to_apply ? *to_apply : plan, k, stop);
    report.applied.unchanged += applied.unchanged;
    for (auto& r : applied.results) report.applied.results.push_back(std::move(r));
    if (o.drive_rollouts && !o.dry_run && applied.Count(diff::Outcome::kFailed) == 0)
      for (const Held* h : held) DriveRollout(h->unheld, *t.kube, o, stop, report);
  }
  report.plan.Append(std::move(plan));
}

void RabbitStage(const LoadedManifests& m, const Targets& t, const Options& o, const StopToken& stop, Report& report) {
  auto objects = WithClusterSecrets(m.objects, t.kube, !o.plan_only && !o.dry_run);
  if (!objects.ok()) {
    report.error = objects.status();
    return;
  }
  auto desired = rabbit::DesiredTopology(objects.value(), m.definitions);
  if (!desired.ok()) {
    report.error = desired.status();
    return;
  }
  // Right after the Kubernetes stage the broker may still be starting: wait for all of it.
  Status up = t.kube && !o.plan_only && o.wait_ready
                  ? WaitForBroker(*t.rabbit, std::max(1, RabbitReplicas(m.objects)), o, stop)
                  : Status::Ok();
  auto live = up.ok() ? rabbitmq::ReadLiveTopology(*t.rabbit, o.rabbit_inventory) : Result<rabbitmq::LiveTopology>(up);
  if (!live.ok()) {
    report.error = live.status();
    return;
  }
  // Before anything is written: a broker too old for what git asks names the object instead.
  if (Status s = rabbit::CheckBrokerVersion(desired.value(), live.value().broker_version); !s.ok()) {
    report.error = s;
    return;
  }
  for (std::string& line : rabbit::BrokerVersionNotes(desired.value(), live.value().broker_version))
    report.notes.push_back(std::move(line));
  diff::DiffReport plan = rabbit::DiffTopology(desired.value(), live.value().state, live.value().inventory);
  if (!o.plan_only) {
    rabbitmq::TopologyApplyOptions apply;
    apply.dry_run = o.dry_run;
    apply.prune = o.prune;
    apply.recreate_empty_queues = o.recreate_empty_queues;
    diff::ApplyReport r = rabbitmq::ApplyTopology(*t.rabbit, desired.value(), live.value(), plan, apply);
    report.applied.unchanged += r.unchanged;
    for (auto& x : r.results) report.applied.results.push_back(std::move(x));
  }
  report.plan.Append(std::move(plan));
}

}  // namespace

namespace {

// 24 random bytes as 32 URL-safe characters.
Result<std::string> RandomPassword() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::Internal("generate a password: no randomness from OpenSSL");
  std::string out = Base64Encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

}  // namespace

Result<std::vector<Object>> WithClusterSecrets(const std::vector<Object>& objects, kube::Api* kube, bool write) {
  std::vector<ResourceKey> missing = rabbit::SecretsNotInSet(objects);
  if (!kube || missing.empty()) return objects;
  WARREN_ASSIGN_OR_RETURN(auto secrets, kube->Resolve("v1", "Secret"));
  std::vector<Object> out = objects;
  std::vector<rabbit::GeneratedCredentials> to_generate = rabbit::CredentialsToGenerate(objects);
  for (const ResourceKey& k : missing) {
    auto got = kube->Get(secrets, k.ns, k.name);
    if (!got.ok()) return got.status().WithContext("read the credentials of " + k.ToString());
    if (got.value()) {
      out.emplace_back(*got.value(), SourceLocation{"(cluster)"});
      continue;
    }
    auto gen = std::find_if(to_generate.begin(), to_generate.end(), [&](const auto& g) { return g.secret == k; });
    if (gen == to_generate.end()) continue;  // absent: the core names it
    // As the operator does: a password made once and kept in a Secret beside the User. A plan
    // holds it in memory only (sync would make another).
    WARREN_ASSIGN_OR_RETURN(auto password, RandomPassword());
    Json secret = {
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"metadata", {{"name", k.name}, {"namespace", k.ns}, {"labels", {{diff::kManagedByLabel, "warren"}}}}},
        {"type", "Opaque"},
        {"stringData", {{"username", gen->username}, {"password", password}}}};
    if (write) {
      auto applied = kube->Apply(secret, {/*force=*/false, false});
      if (!applied.ok()) return applied.status().WithContext("keep the generated credentials in " + k.ToString());
    }
    out.emplace_back(std::move(secret), SourceLocation{"(generated)"});
  }
  return out;
}

Result<std::vector<Object>> LiveFromApi::Live(const std::vector<Object>& desired) {
  return kube::FetchLive(client_, desired);
}

std::vector<Object> KubernetesObjects(const LoadedManifests& desired, bool rabbit_target) {
  std::vector<Object> out;
  out.reserve(desired.objects.size());
  for (const Object& o : desired.objects)
    if (!rabbit_target || !rabbit::IsTopologyObject(o)) out.push_back(o);
  return out;
}

Report ReconcileOnce(const LoadedManifests& desired, const Targets& targets, const Options& options,
                     const StopToken& stop) {
  Report report;
  report.applied.dry_run = options.dry_run || options.plan_only;
  std::vector<Object> kube_objects = KubernetesObjects(desired, targets.rabbit != nullptr);
  // A plan can compare with a given live state alone; applying needs the API server.
  bool kube_target = targets.kube || (options.plan_only && targets.live);
  if (kube_target && !options.skip_kube)
    KubernetesStage(std::move(kube_objects), targets, options, stop, report);
  else if (!kube_target)
    report.kube_objects_not_synced = kube_objects.size();

  if (!targets.rabbit || options.skip_rabbit) return report;
  for (std::string& line : rabbit::NotCarried(desired.objects)) report.notes.push_back(std::move(line));
  if (stop.stop_requested()) {
    report.error = Status::Cancelled("stopped before the RabbitMQ stage");
  } else if (report.applied.Converged() || options.continue_on_error || options.plan_only) {
    RabbitStage(desired, targets, options, stop, report);
  } else {
    // The broker may not be whole (a rollout halted, a StatefulSet that needs action): its topology
    // waits. (The agent's broker check applies it on its own once the commit is done with.)
    report.notes.push_back(std::string("RabbitMQ not synced: the Kubernetes stage ") +
                           (report.applied.Class() == diff::OutcomeClass::kFailed ? "failed" : "needs action"));
  }
  return report;
}

int RabbitReplicas(const std::vector<Object>& objects) {
  for (const Object& o : objects) {
    if (o.kind() != "StatefulSet") continue;
    const Json& spec = Field(o.doc(), "spec");
    const Json& containers = Field(Field(Field(spec, "template"), "spec"), "containers");
    if (!containers.is_array()) continue;
    for (const Json& c : containers) {
      if (StringField(c, "image").find("rabbitmq") == std::string::npos) continue;
      const Json& replicas = Field(spec, "replicas");
      return replicas.is_number_integer() ? replicas.get<int>() : 1;  // the API server's default
    }
  }
  return 0;
}

}  // namespace warren::reconcile
