#include "agent/rabbitmq/cluster_probe.h"
#include "agent/rabbitmq/management_client.h"

namespace warren::rabbitmq {
namespace {

// Node names from a management API list; anything but a string is skipped, not trusted.
std::vector<std::string> NodeNames(const Json& list) { return StringList(list); }

// The per-node checks; `alarms` is cluster-wide but cheap, and asking every node shows which answer.
constexpr const char* kNodeChecks[] = {"alarms", "node-is-quorum-critical", "node-is-mirror-sync-critical",
                                       "virtual-hosts"};

// Reads a 503 body: {"status":"failed","reason":...,"queues":[{readable_name}]|"alarms":[{node,resource}]}
void ReadFailure(const std::string& body, rabbit::HealthCheckResult* r) {
  Json j = Json::parse(body, nullptr, false);
  if (!j.is_object()) {
    r->reason = "HTTP 503";
    return;
  }
  r->reason = StringField(j, "reason");
  for (const Json& q : j.value("queues", Json::array()))
    if (q.is_object()) r->items.push_back(StringField(q, "readable_name"));
  for (const Json& a : j.value("alarms", Json::array()))
    if (a.is_object()) r->items.push_back(StringField(a, "node") + ": " + StringField(a, "resource"));
}

}  // namespace

Result<rabbit::HealthInputs> ProbeCluster(ManagementApi& client, int expected_nodes) {
  rabbit::HealthInputs in;
  in.expected_nodes = expected_nodes;
  auto nodes = client.Get("/api/nodes");
  if (!nodes.ok()) return nodes.status().WithContext("read RabbitMQ nodes");
  in.nodes = std::move(nodes).value();
  auto queues = client.GetText("/api/queues?disable_stats=true&enable_queue_totals=true");
  if (!queues.ok()) return queues.status().WithContext("read RabbitMQ queues");
  WARREN_ASSIGN_OR_RETURN(auto samples, rabbit::ParseQueueListing(queues.value()));
  in.queues = std::move(samples);
  auto policies = client.Get("/api/policies");
  if (!policies.ok()) return policies.status().WithContext("read RabbitMQ policies");
  in.policies = std::move(policies).value();

  // The listing's sync state can be stale after a node rejoins; ask the queue itself (bounded).
  constexpr size_t kMaxConfirmations = 100;
  std::vector<size_t> confirm = rabbit::QueuesToConfirm(in);
  if (confirm.size() > kMaxConfirmations) confirm.resize(kMaxConfirmations);
  for (size_t i : confirm) {
    rabbit::QueueSample& q = in.queues[i];
    auto one = client.Get(ApiPath("queues", q.vhost, q.name));
    if (!one.ok()) continue;  // deleted meanwhile, or the node is busy: keep what the listing said
    const Json& j = one.value();
    if (Field(j, "slave_nodes").is_array() && Field(j, "synchronised_slave_nodes").is_array()) {
      q.slave_nodes = NodeNames(j["slave_nodes"]);
      q.synchronised_slave_nodes = NodeNames(j["synchronised_slave_nodes"]);
    }
  }

  for (size_t node = 0; node < client.urls().size(); ++node) {
    for (const char* check : kNodeChecks) {
      rabbit::HealthCheckResult r;
      r.node = client.urls()[node];
      r.check = check;
      auto reply = client.GetFromNode(node, std::string("/api/health/checks/") + check);
      if (!reply.ok()) {
        r.reachable = false;
        r.ok = false;
        r.reason = reply.status().message();
        in.checks.push_back(std::move(r));
        break;  // the node is down: its other checks would fail the same way
      }
      long status = reply.value().status;
      if (status == 404) continue;  // a check this RabbitMQ version does not have
      if (status == 401 || status == 403)
        return ErrorFromReply("GET", "/api/health/checks/" + std::string(check), status, reply.value().body);
      r.ok = status == 200;
      if (!r.ok) ReadFailure(reply.value().body, &r);
      in.checks.push_back(std::move(r));
    }
  }
  return in;
}

}  // namespace warren::rabbitmq
