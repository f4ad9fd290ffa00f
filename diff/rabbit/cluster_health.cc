#include "diff/rabbit/cluster_health.h"

#include <algorithm>
#include <map>
#include <set>

namespace warren::rabbit {
namespace {

std::vector<std::string> Strings(const Json& v) { return StringList(v); }

std::string Str(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool Flag(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string QueueName(const std::string& vhost, const std::string& name) {
  return "queue " + name + " (vhost " + vhost + ")";
}

// Expected mirrors of a classic queue under ha-mode; -1 when the definition is not mirroring.
int ExpectedMirrors(const Json& def, int cluster_size, const std::set<std::string>& members) {
  std::string mode = Str(def, "ha-mode");
  auto params = def.find("ha-params");
  if (mode == "all") return std::max(0, cluster_size - 1);
  if (mode == "exactly" && params != def.end()) {
    long long n = params->is_number_integer() ? params->get<long long>()
                  : params->is_string()       ? std::atoll(params->get<std::string>().c_str())
                                              : 0;
    return static_cast<int>(std::max(0LL, std::min<long long>(n, cluster_size) - 1));
  }
  if (mode == "nodes" && params != def.end()) {
    int listed = 0;
    for (const std::string& n : Strings(*params)) listed += members.empty() || members.count(n) ? 1 : 0;
    return std::max(0, listed - 1);
  }
  return -1;
}

// A mirror or member on a node /api/nodes says is down is not in sync, whatever the queue listing
// (which lags node loss by seconds) still claims.
using DownNodes = std::set<std::string>;

MirrorState ClassicState(const QueueSample& q, const std::string& mode, int expected, const DownNodes& down) {
  MirrorState m{q.vhost, q.name, "classic", q.policy, mode, expected};
  std::set<std::string> synced(q.synchronised_slave_nodes.begin(), q.synchronised_slave_nodes.end());
  for (const std::string& s : q.slave_nodes)
    (synced.count(s) && !down.count(s) ? m.in_sync : m.not_in_sync).push_back(s);
  std::sort(m.in_sync.begin(), m.in_sync.end());
  std::sort(m.not_in_sync.begin(), m.not_in_sync.end());
  int have = static_cast<int>(m.in_sync.size());
  if (have < expected) {
    m.healthy = false;
    m.problem = QueueName(q.vhost, q.name) + ": " + std::to_string(have) + "/" + std::to_string(expected) +
                " mirrors synchronised (policy " + q.policy + ", ha-mode " + mode + ")";
    if (!m.not_in_sync.empty()) m.problem += "; unsynchronised: " + Join(m.not_in_sync);
    int missing = expected - static_cast<int>(m.in_sync.size() + m.not_in_sync.size());
    if (missing > 0) m.problem += "; " + std::to_string(missing) + " mirror" + (missing > 1 ? "s" : "") + " missing";
  }
  return m;
}

MirrorState QuorumState(const QueueSample& q, const DownNodes& down) {
  MirrorState m{q.vhost, q.name, "quorum", "", "", static_cast<int>(q.members.size())};
  std::set<std::string> online(q.online.begin(), q.online.end());
  for (const std::string& s : q.members) (online.count(s) && !down.count(s) ? m.in_sync : m.not_in_sync).push_back(s);
  std::sort(m.in_sync.begin(), m.in_sync.end());
  std::sort(m.not_in_sync.begin(), m.not_in_sync.end());
  m.leader = q.leader;
  if (!m.not_in_sync.empty() || m.leader.empty()) {
    m.healthy = false;
    m.problem = QueueName(q.vhost, q.name) + ": " + std::to_string(m.in_sync.size()) + "/" +
                std::to_string(m.expected) + " members online";
    if (!m.not_in_sync.empty()) m.problem += "; offline: " + Join(m.not_in_sync);
    if (m.leader.empty()) m.problem += "; no leader";
  }
  return m;
}

// "a, b, c and 2,995 more": lists in problems stay a line long whatever their length.
std::string FirstFew(const std::vector<std::string>& v, size_t shown = 3) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < shown; ++i) out += (i ? ", " : "") + v[i];
  if (v.size() > shown) out += " and " + WithThousands(v.size() - shown) + " more";
  return out;
}

// Unhealthy queues grouped by what caused them: one line per cause ("node rabbit3@localhost
// down"), counting each effect ("2,998 mirrored queues at 1/2 synchronised mirrors", "40 quorum
// queues at 2/3 members online") with the first few names. The cause (the key a change of state
// is judged by) leaves out the counts and names.
struct QueueGroup {
  std::string cause;
  std::vector<std::pair<std::string, std::vector<std::string>>> effects;  // effect → queue names
};

std::vector<QueueGroup> GroupQueues(const ClusterHealth& h, const DownNodes& down) {
  std::vector<QueueGroup> groups;
  auto add = [&](const std::string& cause, const std::string& effect, const std::string& name) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const QueueGroup& x) { return x.cause == cause; });
    if (g == groups.end()) g = groups.insert(groups.end(), QueueGroup{cause, {}});
    auto e = std::find_if(g->effects.begin(), g->effects.end(), [&](const auto& x) { return x.first == effect; });
    if (e == g->effects.end()) e = g->effects.insert(g->effects.end(), {effect, {}});
    e->second.push_back(name);
  };
  auto nodes_down = [](const std::vector<std::string>& nodes) {
    return (nodes.size() == 1 ? "node " : "nodes ") + Join(nodes) + " down";
  };
  std::vector<std::string> all_down(down.begin(), down.end());
  for (const MirrorState& m : h.mirrored) {
    if (m.healthy) continue;
    std::vector<std::string> on_down, on_up;
    for (const std::string& n : m.not_in_sync) (down.count(n) ? on_down : on_up).push_back(n);
    int missing = m.expected - static_cast<int>(m.in_sync.size() + m.not_in_sync.size());
    // The listing drops a mirror whose node went away: missing mirrors are the down nodes' doing.
    if (on_down.empty() && missing > 0) on_down = all_down;
    std::string cause = !on_down.empty() ? nodes_down(on_down)
                        : !on_up.empty() ? "mirrors on " + Join(on_up) + " not synchronised"
                                         : "fewer nodes than policy " + m.policy + " asks for";
    add(cause,
        "mirrored at " + std::to_string(m.in_sync.size()) + "/" + std::to_string(m.expected) + " synchronised mirrors",
        m.name);
  }
  for (const MirrorState& q : h.quorum) {
    if (q.healthy) continue;
    std::vector<std::string> on_down, on_up;
    for (const std::string& n : q.not_in_sync) (down.count(n) ? on_down : on_up).push_back(n);
    std::string cause = !on_down.empty() ? nodes_down(on_down)
                        : !on_up.empty() ? "members on " + Join(on_up) + " offline"
                                         : "quorum queues without a leader";
    std::string effect = "quorum at " + std::to_string(q.in_sync.size()) + "/" + std::to_string(q.expected) +
                         " members online" + (q.leader.empty() ? ", no leader" : "");
    add(cause, effect, q.name);
  }
  return groups;
}

std::string GroupLine(const QueueGroup& g) {
  std::string line = g.cause + ": ";
  for (size_t i = 0; i < g.effects.size(); ++i) {
    const auto& [effect, names] = g.effects[i];
    bool quorum = effect.rfind("quorum", 0) == 0;
    std::string what =
        quorum ? effect.substr(std::string("quorum ").size()) : effect.substr(std::string("mirrored ").size());
    line += (i ? "; " : "") + WithThousands(names.size()) + (quorum ? " quorum" : " mirrored") +
            (names.size() == 1 ? " queue " : " queues ") + what + " (" + FirstFew(names) + ")";
  }
  return line;
}

}  // namespace

std::string WithThousands(size_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

QueueSample SampleFrom(Json& q) {
  QueueSample s;
  s.vhost = Str(q, "vhost");
  s.name = Str(q, "name");
  s.type = Str(q, "type");
  s.policy = Str(q, "policy");
  s.node = Str(q, "node");
  s.leader = Str(q, "leader");
  s.state = Str(q, "state");
  s.slave_nodes = Strings(q.value("slave_nodes", Json()));
  s.synchronised_slave_nodes = Strings(q.value("synchronised_slave_nodes", Json()));
  s.members = Strings(q.value("members", Json()));
  s.online = Strings(q.value("online", Json()));
  auto messages = q.find("messages");
  if (messages != q.end() && messages->is_number_integer()) s.messages = messages->get<long long>();
  return s;
}

Result<std::vector<QueueSample>> ParseQueueListing(std::string_view text) {
  static const std::set<std::string, std::less<>> kKeep = {
      "vhost",   "name",   "type",    "policy", "node", "leader", "state", "slave_nodes", "synchronised_slave_nodes",
      "members", "online", "messages"};
  std::vector<QueueSample> out;
  bool top_is_array = false;
  // Streams: unwanted keys are dropped as they are read, and each queue object becomes a
  // QueueSample and is discarded as soon as it closes, so memory follows the samples only.
  Json::parser_callback_t sample = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::array_start && depth == 0) top_is_array = true;
    if (event == Json::parse_event_t::key && depth == 2) return kKeep.count(parsed.get_ref<const std::string&>()) > 0;
    if (event == Json::parse_event_t::object_end && depth == 1 && top_is_array) {
      out.push_back(SampleFrom(parsed));
      return false;
    }
    return true;
  };
  Json doc = Json::parse(text.begin(), text.end(), sample, /*allow_exceptions=*/false);
  if (doc.is_discarded() && !top_is_array) return Status::Invalid("queue listing: not valid JSON");
  if (!top_is_array || !doc.is_array()) return Status::Invalid("queue listing: expected a JSON list of queues");
  return out;
}

ClusterHealth AssessHealth(const HealthInputs& in) {
  ClusterHealth h;
  std::set<std::string> members;
  std::set<std::string> alarms;
  for (const Json& n : in.nodes) {
    if (!n.is_object()) continue;
    NodeState s;
    s.name = Str(n, "name");
    auto running = n.find("running");
    if (running != n.end() && running->is_boolean()) s.running = running->get<bool>();
    s.mem_alarm = Flag(n, "mem_alarm");
    s.disk_alarm = Flag(n, "disk_free_alarm");
    s.partitions = Strings(n.value("partitions", Json()));
    members.insert(s.name);
    if (s.running.value_or(false)) ++h.running_nodes;
    if (s.mem_alarm) alarms.insert(s.name + ": memory");
    if (s.disk_alarm) alarms.insert(s.name + ": disk space");
    h.nodes.push_back(std::move(s));
  }
  h.expected_nodes = in.expected_nodes > 0 ? in.expected_nodes : static_cast<int>(h.nodes.size());

  auto problem = [&h](std::string cause, std::string text) {
    h.causes.push_back(std::move(cause));
    h.problems.push_back(std::move(text));
  };
  std::vector<std::string> down;
  DownNodes down_nodes;
  for (const NodeState& n : h.nodes) {
    if (n.running.value_or(false)) continue;
    down.push_back(n.name + (n.running ? " is not running" : " is in an unknown state"));
    down_nodes.insert(n.name);
  }
  if (h.running_nodes < h.expected_nodes) {
    std::string p = std::to_string(h.running_nodes) + "/" + std::to_string(h.expected_nodes) + " nodes running";
    if (!down.empty()) p += ": " + Join(down);
    if (static_cast<int>(h.nodes.size()) < h.expected_nodes)
      p += (down.empty() ? ": " : "; ") + std::to_string(h.expected_nodes - static_cast<int>(h.nodes.size())) +
           " expected node(s) never joined the cluster";
    problem("nodes down: " + Join(down) +
                "; absent: " + std::to_string(h.expected_nodes - static_cast<int>(h.nodes.size())),
            p);
  }
  for (const NodeState& n : h.nodes)
    if (!n.partitions.empty()) {
      std::string p = n.name + " is partitioned from " + Join(n.partitions);
      problem(p, p);
    }

  std::map<std::pair<std::string, std::string>, const Json*> policies;
  for (const Json& p : in.policies)
    if (p.is_object()) policies[{Str(p, "vhost"), Str(p, "name")}] = &p;

  for (const QueueSample& q : in.queues) {
    if (q.type == "quorum") {
      h.quorum.push_back(QuorumState(q, down_nodes));
      continue;
    }
    if (q.policy.empty() || q.type == "stream") continue;
    auto it = policies.find({q.vhost, q.policy});
    if (it == policies.end()) continue;
    const Json& def = it->second->contains("definition") ? (*it->second)["definition"] : Json::object();
    int expected = ExpectedMirrors(def, h.expected_nodes, members);
    if (expected < 0) continue;
    h.mirrored.push_back(ClassicState(q, Str(def, "ha-mode"), expected, down_nodes));
  }
  // One line per cause, whatever the number of queues (each queue's own problem is in the JSON).
  std::vector<QueueGroup> groups = GroupQueues(h, down_nodes);
  constexpr size_t kMaxGroups = 8;
  for (size_t i = 0; i < groups.size() && i < kMaxGroups; ++i) {
    std::string cause = groups[i].cause;
    for (const auto& e : groups[i].effects) cause += "|" + e.first;
    problem(cause, GroupLine(groups[i]));
  }
  if (groups.size() > kMaxGroups) {
    size_t queues = 0;
    for (size_t i = kMaxGroups; i < groups.size(); ++i)
      for (const auto& e : groups[i].effects) queues += e.second.size();
    problem("more causes", WithThousands(groups.size() - kMaxGroups) + " more causes affecting " +
                               WithThousands(queues) + " more queues (warren status -o json lists every queue)");
  }

  // A node the cluster counts as down is reported once, as a node. More URLs unanswered than nodes
  // down means a node the cluster still counts as running does not answer: hung (its peers notice
  // only after net_ticktime), or out of warren's reach. Clients of that node wait as warren did.
  size_t unreachable = std::count_if(in.checks.begin(), in.checks.end(), [](const auto& c) { return !c.reachable; });
  for (const HealthCheckResult& c : in.checks) {
    if (c.check == "alarms" || c.check == "local-alarms")
      for (const std::string& a : c.items) alarms.insert(a);
    if (!c.reachable && unreachable > down_nodes.size())
      problem(c.node + " unanswered", c.node + ": did not answer its health check: " + c.reason);
    if (!c.reachable || c.ok) continue;
    std::string p = c.node + ": " + c.check + " failed: " + c.reason;
    if (!c.items.empty()) p += " (" + FirstFew(c.items) + ")";
    problem(c.node + " " + c.check, p);
  }
  h.alarms.assign(alarms.begin(), alarms.end());
  if (!h.alarms.empty() && std::none_of(in.checks.begin(), in.checks.end(),
                                        [](const HealthCheckResult& c) { return c.check == "alarms" && !c.ok; }))
    problem("alarms: " + Join(h.alarms), "alarms in effect: " + Join(h.alarms));
  h.checks = in.checks;
  return h;
}

std::vector<size_t> QueuesToConfirm(const HealthInputs& in) {
  std::set<std::pair<std::string, std::string>> unhealthy;
  for (const MirrorState& m : AssessHealth(in).mirrored)
    if (!m.healthy) unhealthy.insert({m.vhost, m.name});
  std::vector<size_t> out;
  for (size_t i = 0; i < in.queues.size() && !unhealthy.empty(); ++i)
    if (in.queues[i].type != "quorum" && unhealthy.count({in.queues[i].vhost, in.queues[i].name})) out.push_back(i);
  return out;
}

std::string HealthSummary(const ClusterHealth& h) {
  auto count_ok = [](const std::vector<MirrorState>& v) {
    return std::count_if(v.begin(), v.end(), [](const MirrorState& m) { return m.healthy; });
  };
  return std::to_string(h.running_nodes) + "/" + std::to_string(h.expected_nodes) + " nodes, " +
         std::to_string(count_ok(h.mirrored)) + "/" + std::to_string(h.mirrored.size()) +
         " mirrored queues synchronised, " + std::to_string(count_ok(h.quorum)) + "/" +
         std::to_string(h.quorum.size()) + " quorum queues fully online, " + std::to_string(h.alarms.size()) +
         " alarm" + (h.alarms.size() == 1 ? "" : "s");
}

std::string HealthDescription(const ClusterHealth& h) {
  if (h.healthy()) return HealthSummary(h);
  std::string out = "degraded: " + h.problems.front();
  if (h.problems.size() > 1) out += " (+" + std::to_string(h.problems.size() - 1) + " more)";
  return out;
}

std::string RenderHealthText(const ClusterHealth& h) {
  std::string out = (h.healthy() ? "healthy: " : "degraded: ") + HealthSummary(h) + "\n";
  for (const std::string& p : h.problems) out += "  - " + p + "\n";
  // What stopping each node would cost now (a rollout's gate asks the same of each pod's node).
  std::vector<std::string> urls;
  for (const HealthCheckResult& c : h.checks)
    if (std::find(urls.begin(), urls.end(), c.node) == urls.end()) urls.push_back(c.node);
  if (!urls.empty()) out += "stopping each node now:\n";
  for (const std::string& url : urls) {
    std::string line;
    bool reachable = true;
    for (const HealthCheckResult& c : h.checks) {
      if (c.node != url) continue;
      reachable = reachable && c.reachable;
      if (c.check != "node-is-quorum-critical" && c.check != "node-is-mirror-sync-critical") continue;
      std::string what = c.check == "node-is-quorum-critical" ? "quorum-critical" : "mirror-sync-critical";
      line += (line.empty() ? "" : "; ") + what + ": " + (c.ok ? "no" : "yes");
      if (!c.ok && !c.items.empty()) line += " (" + FirstFew(c.items) + ")";
    }
    if (!reachable) line = "unreachable: cannot say";
    if (line.empty()) line = "no check answered (RabbitMQ older than 3.8.10?)";
    out += "  " + url + ": " + line + "\n";
  }
  return out;
}

Json HealthToJson(const ClusterHealth& h) {
  Json nodes = Json::array();
  for (const NodeState& n : h.nodes)
    nodes.push_back({{"name", n.name},
                     {"running", n.running ? Json(*n.running) : Json()},
                     {"memAlarm", n.mem_alarm},
                     {"diskAlarm", n.disk_alarm},
                     {"partitions", n.partitions}});
  auto queues = [](const std::vector<MirrorState>& v) {
    Json out = Json::array();
    for (const MirrorState& m : v) {
      Json j = {{"vhost", m.vhost}, {"name", m.name}, {"type", m.type}, {"healthy", m.healthy}};
      if (!m.healthy) j["problem"] = m.problem;
      if (m.type == "quorum") {
        j["members"] = m.expected;
        j["online"] = m.in_sync;
        j["offline"] = m.not_in_sync;
        j["leader"] = m.leader.empty() ? Json() : Json(m.leader);
      } else {
        j["policy"] = m.policy;
        j["haMode"] = m.mode;
        j["expectedMirrors"] = m.expected;
        j["synchronisedMirrors"] = m.in_sync;
        j["unsynchronisedMirrors"] = m.not_in_sync;
      }
      out.push_back(std::move(j));
    }
    return out;
  };
  Json checks = Json::array();
  for (const HealthCheckResult& c : h.checks) {
    Json j = {{"node", c.node}, {"check", c.check}, {"reachable", c.reachable}, {"ok", c.ok}};
    if (!c.reason.empty()) j["reason"] = c.reason;
    if (!c.items.empty()) j["items"] = c.items;
    checks.push_back(std::move(j));
  }
  return {{"healthy", h.healthy()},
          {"summary", HealthSummary(h)},
          {"nodes", {{"expected", h.expected_nodes}, {"running", h.running_nodes}, {"items", nodes}}},
          {"mirroredQueues", queues(h.mirrored)},
          {"quorumQueues", queues(h.quorum)},
          {"alarms", h.alarms},
          {"checks", checks},
          {"problems", h.problems}};
}

MirrorsVerdict JudgeMirrors(const ClusterHealth& h) {
  size_t mirrored_ok = 0, quorum_ok = 0, members = 0, online = 0;
  for (const auto& m : h.mirrored) mirrored_ok += m.healthy;
  for (const auto& q : h.quorum) {
    quorum_ok += q.healthy;
    members += q.in_sync.size() + q.not_in_sync.size();
    online += q.in_sync.size();
  }
  return {mirrored_ok == h.mirrored.size() && quorum_ok == h.quorum.size(),
          std::to_string(mirrored_ok) + "/" + std::to_string(h.mirrored.size()) + " mirrored queues synchronised, " +
              std::to_string(online) + "/" + std::to_string(members) + " quorum members online"};
}

}  // namespace warren::rabbit
