#include "diff/rollout/gate.h"

#include <algorithm>
#include <optional>

#include "diff/rabbit/broker_version.h"

namespace warren::rollout {
namespace {

std::vector<std::string> Names(const Json& list) { return StringList(list); }

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool AtLeast(const std::vector<int>& v, std::vector<int> min) {
  for (size_t i = 0; i < min.size(); ++i) {
    int have = i < v.size() ? v[i] : 0;
    if (have != min[i]) return have > min[i];
  }
  return true;
}

std::string Where(const GateInput& in) { return in.node + " (pod " + in.pod + ")"; }

// One queue a 503 of a queue check names: {"status":"failed","reason":...,"queues":[{"name":...,
// "readable_name":...,"virtual_host":...}]}. `readable` falls back to the bare name.
struct FailedQueue {
  std::string vhost, name, readable;
};
std::vector<FailedQueue> FailedQueues(const std::string& body) {
  std::vector<FailedQueue> out;
  Json j = Json::parse(body, nullptr, false);
  if (!j.is_object()) return out;
  for (const Json& q : j.value("queues", Json::array())) {
    if (!q.is_object()) continue;
    FailedQueue f{StringField(q, "virtual_host"), StringField(q, "name"), StringField(q, "readable_name")};
    if (f.readable.empty()) f.readable = f.name;
    out.push_back(std::move(f));
  }
  return out;
}

// "a, b and 3 more" for a commit status line.
std::string Few(const std::vector<std::string>& names) { return names.empty() ? "a queue" : FirstNames(names, 1); }

// Reads one queue check's answer; nullopt when it passed.
std::optional<GateVerdict> JudgeCheck(const GateInput& in, const Answer& a, const std::string& check,
                                      const std::string& loses, bool pass_on_404) {
  GateVerdict v;
  v.check = check;
  if (!a.reached) {
    v.reason = "cannot verify: " + check + " on " + Where(in) + ": " + a.error;
    return v;
  }
  if (a.status == 200) return std::nullopt;
  if (a.status == 404 && pass_on_404) return std::nullopt;
  if (a.status == 503) {
    v.result = GateResult::kFail;
    std::vector<std::string> names;
    for (FailedQueue& q : FailedQueues(a.body)) {
      v.queues.push_back(q.readable);
      v.ids.emplace_back(q.vhost, q.name);
      names.push_back(std::move(q.name));
    }
    v.reason = (v.queues.empty() ? std::string("a queue") : Join(v.queues)) + " would " + loses + " if " + Where(in) +
               " stopped (" + check + ")";
    v.brief = Few(names) + " would " + loses + " on " + in.node;
    return v;
  }
  if (a.status == 404)
    v.reason = "cannot verify: " + Where(in) + " has no " + check + " check (404: RabbitMQ " +
               (in.version.empty() ? std::string("of unknown version") : in.version) + ")";
  else if (a.status == 401 || a.status == 403)
    v.reason = "cannot verify: " + check + " on " + Where(in) + ": " + std::to_string(a.status) +
               " (the management user needs the monitoring tag)";
  else
    v.reason = "cannot verify: " + check + " on " + Where(in) + ": HTTP " + std::to_string(a.status);
  return v;
}

}  // namespace

std::string QueueReplicas::Readable() const { return "queue '" + name + "' in vhost '" + vhost + "'"; }

QueueReplicas ParseQueue(const Json& q) {
  QueueReplicas r;
  r.vhost = StringField(q, "vhost");
  r.name = StringField(q, "name");
  r.type = StringField(q, "type");
  r.members = Names(Field(q, "members"));
  r.online = Names(Field(q, "online"));
  r.master = StringField(q, "node");
  r.mirrors = Names(Field(q, "slave_nodes"));
  r.synchronised = Names(Field(q, "synchronised_slave_nodes"));
  const Json& policy = Field(q, "effective_policy_definition");
  if (policy.is_object())
    r.sync_mode = StringField(policy, "ha-sync-mode").empty() && policy.contains("ha-mode")
                      ? "manual"  // RabbitMQ's default
                      : StringField(policy, "ha-sync-mode");
  return r;
}

std::vector<QueueReplicas> ParseQueues(const Json& listing) {
  std::vector<QueueReplicas> out;
  if (!listing.is_array()) return out;
  for (const Json& q : listing)
    if (q.is_object()) out.push_back(ParseQueue(q));
  return out;
}

bool NeedsOwnStreamRule(const std::string& broker_version) {
  std::vector<int> v = rabbit::ParseBrokerVersion(broker_version);
  return v.empty() || (AtLeast(v, {3, 9}) && !AtLeast(v, {3, 11, 4}));  // unknown: assume it is needed
}

bool MirrorCheckGone(const std::string& broker_version) {
  std::vector<int> v = rabbit::ParseBrokerVersion(broker_version);
  return !v.empty() && AtLeast(v, {4, 0});
}

GateVerdict JudgeGate(const GateInput& in) {
  // Every other node the cluster expects runs, with no partition: a node down elsewhere makes
  // this one the last copy of something, whatever the queue checks say a moment later.
  std::optional<GateVerdict> nodes;
  if (!in.nodes.is_array()) {
    nodes.emplace();
    nodes->check = "cluster nodes";
    nodes->reason = "cannot verify: the cluster's nodes as " + Where(in) + " sees them: " + in.nodes_error;
  }
  for (const Json& n : in.nodes.is_array() ? in.nodes : Json::array()) {
    std::string name = StringField(n, "name");
    if (name == in.node || Has(in.departed, name)) continue;
    GateVerdict v;
    v.check = "cluster nodes";
    const Json& partitions = Field(n, "partitions");
    if (!BoolField(n, "running", false)) {
      v.result = GateResult::kFail;
      v.reason = "node " + name + " is not running";
    } else if (!partitions.is_array()) {
      v.reason = "cannot verify: " + name + " has not reported its partitions yet (just started?)";
    } else if (!partitions.empty()) {
      v.result = GateResult::kFail;
      v.reason = "node " + name + " reports a network partition (" + partitions.dump() + ")";
    } else {
      continue;
    }
    nodes = v;
    break;
  }
  std::optional<GateVerdict> queues =
      JudgeCheck(in, in.quorum_critical, "node-is-quorum-critical", "lose quorum", false);
  if (!queues || queues->result != GateResult::kFail) {
    auto mirrors = JudgeCheck(in, in.mirror_sync_critical, "node-is-mirror-sync-critical",
                              "lose its last synchronised mirror", MirrorCheckGone(in.version));
    if (mirrors && (!queues || mirrors->result == GateResult::kFail)) queues = mirrors;
  }
  if (!queues || queues->result != GateResult::kFail) {
    // RabbitMQ's own rule, applied to streams where the broker does not (critical when the
    // replicas online are at most a majority).
    std::vector<std::string> streams;
    for (const QueueReplicas& s : in.streams) {
      if (!Has(s.members, in.node)) continue;
      size_t majority = s.members.size() / 2 + 1;
      if (s.online.size() <= majority) streams.push_back(s.Readable());
    }
    if (!streams.empty()) {
      queues.emplace();
      queues->result = GateResult::kFail;
      queues->check = "stream replicas";
      queues->queues = streams;
      queues->reason =
          Join(streams) + " would lose its replica majority if " + Where(in) + " stopped (stream replicas)";
      std::vector<std::string> names;
      for (const QueueReplicas& q : in.streams)
        if (Has(q.members, in.node) && q.online.size() <= q.members.size() / 2 + 1) names.push_back(q.name);
      queues->brief = Few(names) + " would lose its replica majority on " + in.node;
    }
  }
  // A queue that would suffer is named first; a node down elsewhere is said with it.
  if (queues && nodes) {
    bool queue_first = queues->result == GateResult::kFail || nodes->result != GateResult::kFail;
    GateVerdict v = queue_first ? *queues : *nodes;
    v.reason += "; also " + (queue_first ? nodes->reason : queues->reason);
    if (v.brief.empty()) v.brief = v.reason;
    return v;
  }
  if (queues) return *queues;
  if (nodes) {
    nodes->brief = nodes->reason;
    if (nodes->result == GateResult::kFail && nodes->reason.find("partition") == std::string::npos)
      nodes->reason += ": stopping " + Where(in) + " could leave queues without a copy";
    return *nodes;
  }
  GateVerdict pass;
  pass.result = GateResult::kPass;
  return pass;
}

std::vector<std::string> NeverPassing(const std::vector<QueueReplicas>& queues) {
  std::vector<std::string> out;
  for (const QueueReplicas& q : queues)
    if (q.type == "quorum" && !q.members.empty() && q.members.size() < 3) out.push_back(q.Readable());
  return out;
}

RejoinVerdict JudgeRejoin(const RejoinInput& in) {
  RejoinVerdict v;
  bool running = false;
  for (const Json& n : in.nodes.is_array() ? in.nodes : Json::array())
    if (StringField(n, "name") == in.node) running = BoolField(n, "running", false);
  if (!running) {
    v.waiting_for = in.node + " running";
    return v;
  }
  for (const QueueReplicas& q : in.queues) {
    if ((q.type == "quorum" || q.type == "stream") && Has(q.members, in.node) && !Has(q.online, in.node)) {
      if (v.waiting_for.empty()) v.waiting_for = in.node + " back in " + q.Readable() + " (" + q.type + ")";
    } else if (q.mirrored() && Has(q.mirrors, in.node) && !Has(q.synchronised, in.node)) {
      if (q.sync_mode == "automatic" || q.sync_mode.empty()) {
        if (v.waiting_for.empty()) v.waiting_for = in.node + " synchronised in " + q.Readable();
      } else {
        v.notes.push_back(q.Readable() + " has ha-sync-mode: " + q.sync_mode + ": its mirror on " + in.node +
                          " stays unsynchronised until the queue is drained or synced (ha-sync-mode: automatic "
                          "resyncs on its own)");
      }
    }
  }
  v.done = v.waiting_for.empty();
  return v;
}

std::string ManualSyncHint(const QueueReplicas& q) {
  if (q.sync_mode != "manual") return "";
  return q.Readable() +
         " has ha-sync-mode: manual, so its new mirror never synchronises by itself while it "
         "holds messages: set ha-sync-mode: automatic in its policy, or sync it (POST /api/queues/{vhost}/" +
         q.name + "/actions {\"action\":\"sync\"}; the queue blocks while it syncs)";
}

}  // namespace warren::rollout
