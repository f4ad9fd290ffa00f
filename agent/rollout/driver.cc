#include "agent/rollout/driver.h"

#include <algorithm>
#include <cstdio>

#include "agent/rabbitmq/management_client.h"

namespace warren::rollout {
namespace {

std::string Selector(const Json& sts) {
  const Json& labels = Field(Field(Field(sts, "spec"), "selector"), "matchLabels");
  std::string out;
  if (!labels.is_object()) return out;
  for (auto it = labels.begin(); it != labels.end(); ++it)
    if (it->is_string()) out += (out.empty() ? "" : ",") + it.key() + "=" + it->get<std::string>();
  return out;
}

std::string Seconds(std::chrono::milliseconds d) {
  char out[32];
  if (d.count() % 1000 == 0)
    std::snprintf(out, sizeof out, "%lld s", static_cast<long long>(d.count() / 1000));
  else
    std::snprintf(out, sizeof out, "%.1f s", d.count() / 1000.0);
  return out;
}

// The first label of a node name's host: rabbit@rabbitmq-1.rabbitmq-nodes.dev → rabbitmq-1.
std::string HostLabel(const std::string& node) {
  std::string host = node.substr(node.find('@') == std::string::npos ? 0 : node.find('@') + 1);
  return host.substr(0, host.find('.'));
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

Status ConnectNodesLike(const rabbitmq::ConnectOptions& cluster, const std::string& url_template,
                        const std::vector<std::string>& node_urls, DriverOptions& o) {
  o.addresses.url_template = url_template;
  o.addresses.cluster_url = cluster.urls.empty() ? "" : cluster.urls.front().substr(0, cluster.urls.front().find(','));
  for (const std::string& u : node_urls) WARREN_RETURN_IF_ERROR(ParseNodeUrl(u, o.addresses.overrides));
  o.connect_node = [cluster](const std::string& url) -> Result<std::unique_ptr<rabbitmq::ManagementApi>> {
    rabbitmq::ConnectOptions one = cluster;
    one.urls = {url};
    WARREN_ASSIGN_OR_RETURN(auto c, rabbitmq::Connect(one));
    return std::unique_ptr<rabbitmq::ManagementApi>(std::move(c));
  };
  return Status::Ok();
}

std::string Progress::Summary() const {
  std::string where = ordinal >= 0 && replicas > 0 ? "pod " + std::to_string(replicas - ordinal) + " of " +
                                                         std::to_string(replicas) + " (" + pod + ")"
                                                   : statefulset;
  switch (step) {
    case StepKind::kIdle:
      return statefulset + ": no rollout";
    case StepKind::kComplete:
      return rolling ? statefulset + ": completing"
                     : statefulset + ": rolled out (" + std::to_string(updated) + "/" + std::to_string(replicas) +
                           " pods updated)";
    default:
      break;
  }
  std::string state = halted ? "halted" : "waiting";
  if (!waiting_for.empty()) return where + ": " + state + ", " + waiting_for;
  if (!action.empty()) return where + ": " + action;
  return where + ": " + StepName(step);
}

std::string Progress::StatusLine() const {
  if (step == StepKind::kIdle || (step == StepKind::kComplete && !rolling)) return Summary();
  std::string where = ordinal >= 0 && replicas > 0
                          ? "pod " + std::to_string(replicas - ordinal) + " of " + std::to_string(replicas)
                          : "rollout";
  if (!waiting_for.empty())
    return where + ": " + (halted ? "halted, " : "waiting, ") + (brief.empty() ? waiting_for : brief);
  return where + ": " + (action.empty() ? std::string(StepName(step)) : action);
}

Driver::Driver(kube::Api& kube, DriverOptions options)
    : kube_(kube), o_(std::move(options)), clock_(o_.clock ? *o_.clock : Clock::Real()) {}

bool Driver::Waited(const std::string& key, Progress& p) {
  auto now = clock_.Now();
  if (key != wait_key_) {
    wait_key_ = key;
    wait_since_ = now;
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - wait_since_);
  p.waiting_seconds = waited.count() / 1000.0;
  p.halted = waited > o_.timeout;
  if (p.halted) p.waiting_for += " (halted: no change for " + Seconds(o_.timeout) + ")";
  return p.halted;
}

void Driver::Say(const Progress& p) {
  if (!o_.progress) return;
  std::string line = p.Summary();
  if (!p.action.empty() && !p.waiting_for.empty()) line = p.statefulset + ": " + p.action;
  // A wait is said once; its halt once more.
  std::string key = line.substr(0, line.find(" (halted"));
  if (key == last_said_ && !p.halted) return;
  if (line == last_said_) return;
  last_said_ = p.halted ? line : key;
  o_.progress(line);
  for (const std::string& n : p.notes) o_.progress(p.statefulset + ": note: " + n);
}

Result<Json> Driver::GetJson(Node& n, const std::string& path) {
  auto r = n.api->GetFromNode(0, path);
  if (!r.ok()) return r.status().WithContext("GET " + path + " from " + n.url);
  if (r.value().status != 200)
    return rabbitmq::ErrorFromReply("GET", path, r.value().status, r.value().body).WithContext(n.url);
  Json j = Json::parse(r.value().body, nullptr, false);
  if (j.is_discarded()) return Status::Invalid("GET " + path + " from " + n.url + ": not JSON");
  return j;
}

Result<Driver::Node*> Driver::Reach(const SetView& set, int ordinal) {
  std::string pod = set.name + "-" + std::to_string(ordinal);
  std::string url = NodeUrl(o_.addresses, set.ns, set.name, set.service, ordinal);
  Node& n = nodes_[url];
  n.url = url;
  if (!n.api) {
    if (!o_.connect_node) return Status::Invalid("no way to reach RabbitMQ nodes configured");
    auto c = o_.connect_node(url);
    if (!c.ok()) return c.status().WithContext("reach pod " + pod + " at " + url);
    n.api = std::move(c).value();
  }
  auto overview = GetJson(n, "/api/overview");
  if (!overview.ok()) return overview.status().WithContext("pod " + pod);
  std::string name = StringField(overview.value(), "node");
  if (name.empty()) return Status::Invalid("pod " + pod + " at " + url + ": /api/overview names no node");
  // The right node: a name that says which pod it runs in must say this one, and no other
  // ordinal may answer as the same node.
  int named = OrdinalOf(HostLabel(name), set.name);
  if (named >= 0 && named != ordinal)
    return Status::Invalid(url + " answers as " + name + ", the node of pod " + set.name + "-" + std::to_string(named) +
                           ", not of pod " + pod);
  for (const auto& [other_url, other] : nodes_)
    if (other_url != url && other.name == name)
      return Status::Invalid(url + " (pod " + pod + ") and " + other_url + " answer as the same node " + name);
  n.name = name;
  n.version = StringField(overview.value(), "rabbitmq_version");
  return &n;
}

Driver::Node* Driver::Known(const SetView& set, int ordinal) {
  auto it = nodes_.find(NodeUrl(o_.addresses, set.ns, set.name, set.service, ordinal));
  return it == nodes_.end() || it->second.name.empty() ? nullptr : &it->second;
}

Result<GateVerdict> Driver::AskGate(const SetView& set, int ordinal, const std::vector<std::string>& departed) {
  WARREN_ASSIGN_OR_RETURN(Node * n, Reach(set, ordinal));
  GateInput in;
  in.node = n->name;
  in.pod = set.name + "-" + std::to_string(ordinal);
  in.version = n->version;
  in.departed = departed;
  auto ask = [&](const std::string& check) {
    Answer a;
    auto r = n->api->GetFromNode(0, "/api/health/checks/" + check);
    if (!r.ok()) {
      a.error = r.status().message();
      return a;
    }
    a.reached = true;
    a.status = r.value().status;
    a.body = r.value().body;
    return a;
  };
  in.quorum_critical = ask("node-is-quorum-critical");
  in.mirror_sync_critical = ask("node-is-mirror-sync-critical");
  auto nodes = GetJson(*n, "/api/nodes");
  if (nodes.ok())
    in.nodes = std::move(nodes).value();
  else
    in.nodes_error = nodes.status().message();
  if (NeedsOwnStreamRule(n->version)) {
    WARREN_ASSIGN_OR_RETURN(auto listing, GetJson(*n, "/api/queues?disable_stats=true"));
    for (const QueueReplicas& q : ParseQueues(listing)) {
      if (q.type != "stream") continue;
      WARREN_ASSIGN_OR_RETURN(auto one, GetJson(*n, rabbitmq::ApiPath("queues", q.vhost, q.name)));
      QueueReplicas s = ParseQueue(one);
      if (Has(s.members, n->name)) in.streams.push_back(std::move(s));
    }
  }
  GateVerdict v = JudgeGate(in);
  // A mirror that will never synchronise on its own: say what would unblock it.
  if (v.result == GateResult::kFail && v.check == "node-is-mirror-sync-critical")
    for (const auto& [vhost, name] : v.ids) {
      auto one = GetJson(*n, rabbitmq::ApiPath("queues", vhost, name));
      if (!one.ok()) continue;
      std::string hint = ManualSyncHint(ParseQueue(one.value()));
      if (!hint.empty()) v.reason += "; " + hint;
    }
  // A stream verdict of warren's own must hold for a while: `online` lags node changes.
  if (v.result == GateResult::kPass && !in.streams.empty()) {
    std::string key = set.ns + "/" + set.name + "/" + std::to_string(ordinal);
    auto now = clock_.Now();
    if (gate_pass_key_ != key) {
      gate_pass_key_ = key;
      gate_pass_since_ = now;
    }
    if (now - gate_pass_since_ < o_.stream_settle) {
      v.result = GateResult::kCannotVerify;
      v.check = "stream replicas";
      v.reason = "streams on " + n->name + " (pod " + in.pod + ") look whole; confirming for " +
                 Seconds(o_.stream_settle) + " (their online list lags)";
    }
  } else {
    gate_pass_key_.clear();
  }
  return v;
}

Result<RejoinVerdict> Driver::AskRejoin(const SetView& set, int ordinal) {
  WARREN_ASSIGN_OR_RETURN(Node * n, Reach(set, ordinal));
  RejoinInput in;
  in.node = n->name;
  WARREN_ASSIGN_OR_RETURN(in.nodes, GetJson(*n, "/api/nodes"));
  // The plain listing: the totals listing's mirror state can be stale after a rejoin.
  WARREN_ASSIGN_OR_RETURN(auto listing, GetJson(*n, "/api/queues?disable_stats=true"));
  for (QueueReplicas& q : ParseQueues(listing)) {
    bool refine = q.type == "stream" || (q.mirrored() && Has(q.mirrors, n->name) && !Has(q.synchronised, n->name));
    if (refine) {
      // Streams list their replicas, and mirrors their sync mode, only when asked one by one.
      auto one = GetJson(*n, rabbitmq::ApiPath("queues", q.vhost, q.name));
      if (!one.ok() && one.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
      if (!one.ok()) return one.status();
      q = ParseQueue(one.value());
    }
    in.queues.push_back(std::move(q));
  }
  return JudgeRejoin(in);
}

Status Driver::Write(const Object& desired, const Json& live, const std::function<void(Json&, RolloutState&)>& edit) {
  Object live_obj(live, SourceLocation{"(live)"});
  Overlaid o = OverlayRollout(desired, &live_obj);
  if (!o.hold) return Status::Internal("not a broker-aware StatefulSet");
  Json doc = o.desired.doc();
  RolloutState st = o.hold->state;
  if (st.target.empty()) st.target = TemplateHash(Field(Field(desired.doc(), "spec"), "template"));  // at rest
  edit(doc, st);
  doc["metadata"]["annotations"][kStateAnnotation] = EncodeState(st);
  if (o_.dry_run) return Status::Ok();
  std::unique_lock<std::mutex> lock;
  if (o_.write_lock) lock = std::unique_lock<std::mutex>(*o_.write_lock);
  // Decided on what was read before the lock: if anyone wrote the StatefulSet since (a new
  // commit's template, a correction), the decision is stale and is made again next time.
  WARREN_RETURN_IF_ERROR(Unchanged(live));
  auto r = kube_.Apply(doc, {/*force=*/false, false});
  if (!r.ok()) return r.status().WithContext("apply " + desired.key().ToString());
  return Status::Ok();
}

Status Driver::Unchanged(const Json& live) {
  const Json& meta = Field(live, "metadata");
  WARREN_ASSIGN_OR_RETURN(auto r, kube_.Resolve(StringField(live, "apiVersion"), StringField(live, "kind")));
  auto now = kube_.Get(r, StringField(meta, "namespace"), StringField(meta, "name"));
  if (!now.ok()) return now.status();
  if (!now.value() ||
      StringField(Field(*now.value(), "metadata"), "resourceVersion") != StringField(meta, "resourceVersion"))
    return Status(StatusCode::kExpired, "the StatefulSet changed since it was read");
  return Status::Ok();
}

Status Driver::DeletePod(const SetView& set, int ordinal, const std::string& uid) {
  if (o_.dry_run) return Status::Ok();
  WARREN_ASSIGN_OR_RETURN(auto pods, kube_.Resolve("v1", "Pod"));
  std::string pod = set.name + "-" + std::to_string(ordinal);
  std::unique_lock<std::mutex> lock;
  if (o_.write_lock) lock = std::unique_lock<std::mutex>(*o_.write_lock);
  Status s = kube_.Delete(pods, set.ns, pod, "Background", uid);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s.WithContext("delete pod " + set.ns + "/" + pod);
  return Status::Ok();
}

Result<Progress> Driver::Advance(const Object& desired, const StopToken& stop) {
  Progress p;
  p.statefulset = desired.key().ToString();
  if (stop.stop_requested()) return Status::Cancelled("stopped");
  WARREN_ASSIGN_OR_RETURN(auto sts_r, kube_.Resolve(desired.api_version(), desired.kind()));
  WARREN_ASSIGN_OR_RETURN(auto pods_r, kube_.Resolve("v1", "Pod"));
  auto got = kube_.Get(sts_r, desired.ns(), desired.name());
  if (!got.ok()) return got.status().WithContext("read " + p.statefulset);
  if (!got.value()) return p;  // not there (yet): nothing to roll
  const Json& live = *got.value();
  {
    Object live_obj(live, SourceLocation{"(live)"});
    Overlaid o = OverlayRollout(desired, &live_obj);
    if (o.hold && o.hold->started) {
      // Git's template is not applied yet: the next sync applies it, held.
      p.rolling = true;
      p.waiting_for = "the new template to be applied";
      Waited(p.statefulset + "/unapplied", p);
      return p;
    }
  }
  SetView set = ViewOf(live, GitPartition(desired));
  auto listed = kube_.List(pods_r, set.ns, Selector(live));
  if (!listed.ok()) return listed.status().WithContext("list the pods of " + p.statefulset);
  std::map<int, PodView> pods;
  for (const Json& pod : listed.value()) {
    int i = OrdinalOf(StringField(Field(pod, "metadata"), "name"), set.name);
    if (i >= 0) pods[i] = PodOf(pod);
  }
  for (const auto& [i, pod] : pods) p.updated += !pod.terminating && pod.revision == set.update_revision;
  Step s = NextStep(set, pods);
  p.step = s.kind;
  p.ordinal = s.ordinal;
  p.replicas = set.replicas;
  p.pod = s.ordinal >= 0 ? set.name + "-" + std::to_string(s.ordinal) : "";
  p.rolling = s.kind != StepKind::kIdle;
  const std::vector<std::string> departed = set.state ? set.state->departed : std::vector<std::string>{};
  std::string key = p.statefulset + "/" + StepName(s.kind) + "/" + std::to_string(s.ordinal);

  if (s.kind == StepKind::kWaitController || s.kind == StepKind::kWaitPod) {
    p.waiting_for = s.reason;
    Waited(key, p);
    Say(p);
    return p;
  }
  if (s.kind == StepKind::kIdle) return p;

  if (s.rejoin >= 0) {
    auto rejoined = AskRejoin(set, s.rejoin);
    std::string pod = set.name + "-" + std::to_string(s.rejoin);
    if (!rejoined.ok() || !rejoined.value().done) {
      p.ordinal = s.rejoin;
      p.pod = pod;
      p.gate_failed = true;
      p.waiting_for = rejoined.ok() ? rejoined.value().waiting_for + " (pod " + pod + " rejoining)"
                                    : "cannot verify the rejoin of pod " + pod + ": " + rejoined.status().message();
      if (rejoined.ok()) p.notes = rejoined.value().notes;
      Waited(p.statefulset + "/rejoin/" + std::to_string(s.rejoin), p);
      Say(p);
      return p;
    }
    p.notes = rejoined.value().notes;
  }

  switch (s.kind) {
    case StepKind::kGate:
    case StepKind::kGateScaleDown: {
      auto verdict = AskGate(set, s.ordinal, departed);
      Node* node = verdict.ok() ? Known(set, s.ordinal) : nullptr;  // reached by AskGate
      if (node && s.kind == StepKind::kGate && set.state && set.state->step < 0) {
        // Before the first step: quorum queues that can never pass, named up front.
        auto listing = GetJson(*node, "/api/queues?disable_stats=true");
        if (listing.ok())
          for (const std::string& q : NeverPassing(ParseQueues(listing.value())))
            p.notes.push_back(q +
                              " has fewer than 3 members and can never pass node-is-quorum-critical on its "
                              "members' nodes: grow it (rabbitmq-queues grow) or delete it");
      }
      if (!verdict.ok() || verdict.value().result != GateResult::kPass) {
        p.gate_failed = true;
        if (verdict.ok()) p.brief = verdict.value().brief;
        p.waiting_for = verdict.ok() ? verdict.value().reason : "cannot verify: " + verdict.status().message();
        Waited(key, p);
        Say(p);
        return p;
      }
      p.node = node->name;
      Status w;
      if (s.kind == StepKind::kGateScaleDown) {
        std::string name = node->name;
        w = Write(desired, live, [&](Json& doc, RolloutState& st) {
          doc["spec"]["replicas"] = s.ordinal;
          if (!Has(st.departed, name)) st.departed.push_back(name);
        });
        p.action =
            "gate passed on " + name + "; scaled down to " + std::to_string(s.ordinal) + " (pod " + p.pod + " leaves)";
      } else if (set.on_delete) {
        w = Write(desired, live, [&](Json&, RolloutState& st) { st.step = s.ordinal; });
        if (w.ok()) w = DeletePod(set, s.ordinal, pods[s.ordinal].uid);
        p.action = "gate passed on " + node->name + "; deleted pod " + p.pod + " (OnDelete)";
      } else {
        w = Write(desired, live, [&](Json& doc, RolloutState& st) {
          doc["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = s.ordinal;
          st.step = s.ordinal;
        });
        p.action = "gate passed on " + node->name + "; partition " + std::to_string(set.partition) + " → " +
                   std::to_string(s.ordinal) + " (pod " + p.pod + " restarts)";
      }
      if (w.code() == StatusCode::kExpired) {
        p.action.clear();  // decided again on the next Advance
        return p;
      }
      if (!w.ok()) return w;
      break;
    }
    case StepKind::kRelease: {
      Status w = Write(desired, live, [&](Json& doc, RolloutState&) {
        doc["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = set.floor;
      });
      if (!w.ok()) return w;
      p.action = "every pod already at the new revision; partition " + std::to_string(set.partition) + " → " +
                 std::to_string(set.floor);
      break;
    }
    case StepKind::kComplete: {
      Status w = Write(desired, live, [&](Json&, RolloutState& st) { st.complete = true; });
      if (!w.ok()) return w;
      p.rolling = false;
      p.action = "complete";
      break;
    }
    default:
      break;
  }
  wait_key_.clear();
  Say(p);
  return p;
}

Result<Progress> Driver::Run(const Object& desired, const StopToken& stop) {
  while (true) {
    WARREN_ASSIGN_OR_RETURN(Progress p, Advance(desired, stop));
    if (p.Finished() || p.halted) return p;
    if (!p.action.empty()) continue;  // the next step at once
    if (!clock_.SleepFor(o_.poll, stop)) return Status::Cancelled("stopped during the rollout of " + p.statefulset);
  }
}

}  // namespace warren::rollout
