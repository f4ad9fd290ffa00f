// The RabbitMQ topology core: definitions, desired state from documents, normalisation, diff.
#include <gtest/gtest.h>

#include "diff/model/loader.h"
#include "diff/rabbit/definitions.h"
#include "diff/rabbit/desired_topology.h"
#include "diff/rabbit/topology_diff.h"

namespace warren::rabbit {
namespace {

using diff::Action;

TopologyState Desired(const std::string& yaml, std::vector<DefinitionsDocument> defs = {}) {
  auto objects = ObjectsFromText(yaml, "desired.yaml");
  EXPECT_TRUE(objects.ok()) << objects.status().message();
  auto state = DesiredTopology(objects.value(), defs);
  EXPECT_TRUE(state.ok()) << state.status().message();
  return state.ok() ? state.value() : TopologyState{};
}

TopologyState Live(const std::string& definitions_json) {
  auto state = StateFromDefinitions(Json::parse(definitions_json), "live");
  EXPECT_TRUE(state.ok()) << state.status().message();
  TopologyState s = state.value();
  Normalize(&s);
  return s;
}

const diff::ObjectDiff* Find(const diff::DiffReport& r, const std::string& kind, const std::string& name) {
  for (const auto& o : r.objects)
    if (o.key.kind == kind && o.key.name == name) return &o;
  return nullptr;
}

const char* kDesired = R"(
apiVersion: rabbitmq.com/v1beta1
kind: Vhost
metadata: {name: orders}
spec: {name: orders}
---
apiVersion: rabbitmq.com/v1beta1
kind: Policy
metadata: {name: ha-two}
spec: {name: ha-two, vhost: orders, pattern: ^ha\., applyTo: queues, definition: {ha-mode: exactly, ha-params: "2"}}
---
apiVersion: rabbitmq.com/v1beta1
kind: Exchange
metadata: {name: orders}
spec: {name: orders, vhost: orders, type: topic, durable: true}
---
apiVersion: rabbitmq.com/v1beta1
kind: Queue
metadata: {name: ha-orders}
spec: {name: ha.orders, vhost: orders, durable: true}
---
apiVersion: rabbitmq.com/v1beta1
kind: Queue
metadata: {name: audit}
spec: {name: audit, vhost: orders, durable: true, type: quorum}
---
apiVersion: rabbitmq.com/v1beta1
kind: Binding
metadata: {name: b}
spec: {vhost: orders, source: orders, destination: ha.orders, destinationType: queue, routingKey: "order.#"}
)";

// What GET /api/definitions returns for the same topology (3.10 shapes; the policy's ha-params
// as a number, the quorum type in arguments, built-ins and another vhost around it).
const char* kLiveInSync = R"({
  "rabbit_version": "3.10.8",
  "vhosts": [{"name": "orders"}, {"name": "/"}, {"name": "other"}],
  "policies": [{"vhost": "orders", "name": "ha-two", "pattern": "^ha\\.", "apply-to": "queues",
                "definition": {"ha-mode": "exactly", "ha-params": 2}, "priority": 0}],
  "exchanges": [{"name": "orders", "vhost": "orders", "type": "topic", "durable": true, "auto_delete": false,
                 "internal": false, "arguments": {}}],
  "queues": [{"name": "ha.orders", "vhost": "orders", "durable": true, "auto_delete": false, "arguments": {}},
             {"name": "audit", "vhost": "orders", "durable": true, "auto_delete": false,
              "arguments": {"x-queue-type": "quorum"}},
             {"name": "aliveness-test", "vhost": "orders", "durable": false, "auto_delete": false, "arguments": {}},
             {"name": "theirs", "vhost": "other", "durable": true, "auto_delete": false, "arguments": {}}],
  "bindings": [{"source": "orders", "vhost": "orders", "destination": "ha.orders", "destination_type": "queue",
                "routing_key": "order.#", "arguments": {}}]
})";

TEST(RabbitDiff, InSyncTopologyHasNoDrift) {
  diff::DiffReport r = DiffTopology(Desired(kDesired), Live(kLiveInSync), {});
  EXPECT_FALSE(r.HasDrift());
  EXPECT_EQ(r.Count(Action::kUnchanged), 6u);
  EXPECT_EQ(r.Count(Action::kExtra), 0u) << "aliveness-test and other vhosts are not reported";
}

TEST(RabbitDiff, EmptyClusterCreatesEverythingInDependencyOrder) {
  diff::DiffReport r = DiffTopology(Desired(kDesired), Live(R"({"vhosts":[{"name":"/"}]})"), {});
  ASSERT_EQ(r.objects.size(), 6u);
  std::vector<std::string> kinds;
  for (const auto& o : r.objects) {
    EXPECT_EQ(o.action, Action::kCreate);
    EXPECT_TRUE(o.in_broker);
    kinds.push_back(o.key.kind);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"Vhost", "Policy", "Exchange", "Queue", "Queue", "Binding"}));
}

TEST(RabbitDiff, PolicyChangedByHandIsAnUpdatePerKey) {
  std::string live = kLiveInSync;
  live.replace(live.find(R"({"ha-mode": "exactly", "ha-params": 2}, "priority": 0)"),
               std::string(R"({"ha-mode": "exactly", "ha-params": 2}, "priority": 0)").size(),
               R"({"ha-mode": "all", "ha-sync-mode": "manual"}, "priority": 5)");
  diff::DiffReport r = DiffTopology(Desired(kDesired), Live(live), {});
  const auto* p = Find(r, "Policy", "ha-two");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->action, Action::kUpdate);
  std::map<std::string, std::pair<Json, Json>> got;
  for (const auto& c : p->changes) got[c.path] = {c.from, c.to};
  EXPECT_EQ(got["/priority"], std::make_pair(Json(5), Json(0)));
  EXPECT_EQ(got["/definition/ha-mode"], std::make_pair(Json("all"), Json("exactly")));
  EXPECT_EQ(got["/definition/ha-params"].second, Json(2)) << "\"2\" normalised to 2";
  EXPECT_TRUE(got.count("/definition/ha-sync-mode"));
  EXPECT_EQ(got.size(), 4u);
}

TEST(RabbitDiff, ImmutableQueueAndExchangeChangesAreRecreateWithAReason) {
  std::string live = kLiveInSync;
  live.replace(live.find(R"("name": "ha.orders", "vhost": "orders", "durable": true)"),
               std::string(R"("name": "ha.orders", "vhost": "orders", "durable": true)").size(),
               R"("name": "ha.orders", "vhost": "orders", "durable": false)");
  live.replace(live.find(R"("type": "topic")"), std::string(R"("type": "topic")").size(), R"("type": "direct")");
  diff::DiffReport r = DiffTopology(Desired(kDesired), Live(live), {});
  const auto* q = Find(r, "Queue", "ha.orders");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->action, Action::kRecreate);
  EXPECT_NE(q->reason.find("durable cannot change on a live queue"), std::string::npos) << q->reason;
  EXPECT_NE(q->reason.find("--recreate-empty-queues"), std::string::npos);
  const auto* e = Find(r, "Exchange", "orders");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->action, Action::kRecreate);
  EXPECT_NE(e->reason.find("type cannot change"), std::string::npos) << e->reason;
}

TEST(RabbitDiff, UndesiredObjectsArePrunedOnlyWhenWarrenCreatedThem) {
  std::string live = kLiveInSync;
  live.replace(live.find(R"("queues": [)"), std::string(R"("queues": [)").size(),
               R"("queues": [{"name": "mine.old", "vhost": "orders", "durable": true},
                             {"name": "user.q", "vhost": "orders", "durable": true},
                             {"name": "amq.gen-Xy", "vhost": "orders", "durable": false},)");
  Inventory inv;
  inv.keys.insert(ResourceKey{kGroup, "Queue", "orders", "mine.old"});
  inv.keys.insert(ResourceKey{kGroup, "Queue", "other", "theirs"});  // other vhost, but warren's: pruned
  diff::DiffReport r = DiffTopology(Desired(kDesired), Live(live), inv);
  EXPECT_EQ(Find(r, "Queue", "mine.old")->action, Action::kPrune);
  EXPECT_EQ(Find(r, "Queue", "theirs")->action, Action::kPrune);
  EXPECT_EQ(Find(r, "Queue", "user.q")->action, Action::kExtra);
  EXPECT_EQ(Find(r, "Queue", "amq.gen-Xy"), nullptr);
  EXPECT_EQ(Find(r, "Vhost", "other"), nullptr) << "vhosts warren did not create are not its business";
}

TEST(RabbitDiff, BindingIdentityIncludesArguments) {
  std::string live = kLiveInSync;
  live.replace(live.find(R"("routing_key": "order.#", "arguments": {})"),
               std::string(R"("routing_key": "order.#", "arguments": {})").size(),
               R"("routing_key": "order.#", "arguments": {"x-region": "eu"})");
  diff::DiffReport r = DiffTopology(Desired(kDesired), Live(live), {});
  EXPECT_EQ(Find(r, "Binding", "orders -> queue:ha.orders [order.#]")->action, Action::kCreate);
  EXPECT_EQ(Find(r, "Binding", R"(orders -> queue:ha.orders [order.#] {"x-region":"eu"})")->action, Action::kExtra);
}

TEST(RabbitDiff, DefinitionsFilesAreDesiredStateToo) {
  Json defs = Json::parse(R"({"queues": [{"name": "from.defs", "vhost": "orders", "durable": true,
                                           "auto_delete": false, "arguments": {"x-queue-type": "quorum"}}]})");
  TopologyState d = Desired(kDesired, {{defs, "defs.json"}});
  ASSERT_EQ(d.queues.size(), 3u);
  EXPECT_EQ(d.queues[2].type, "quorum");
  EXPECT_EQ(d.origins.at(KeyOf(d.queues[2])), "defs.json");
}

TEST(RabbitDiff, AnItemDefinedTwiceNamesBothPlaces) {
  Json defs = Json::parse(R"({"queues": [{"name": "ha.orders", "vhost": "orders", "durable": true}]})");
  auto objects = ObjectsFromText(kDesired, "desired.yaml");
  auto state = DesiredTopology(objects.value(), {{defs, "defs.json"}});
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find("defs.json: RabbitMQ Queue ha.orders (vhost orders) is defined twice"),
            std::string::npos)
      << state.status().message();
  EXPECT_NE(state.status().message().find("first at desired.yaml:"), std::string::npos) << state.status().message();
}

TEST(RabbitDefinitions, PerVhostExportAndCliPolicyStrings) {
  // GET /api/definitions/{vhost}: items without vhost; rabbitmqctl's JSON has the definition as a string.
  auto s = StateFromDefinitions(Json::parse(R"({"queues": [{"name": "q", "durable": true}],
      "policies": [{"name": "p", "pattern": ".*", "definition": "{\"ha-mode\":\"all\"}"}]})"),
                                "orders.json", "orders");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s.value().queues[0].vhost, "orders");
  EXPECT_EQ(s.value().policies[0].definition, Json::parse(R"({"ha-mode":"all"})"));
  EXPECT_EQ(s.value().policies[0].apply_to, "all");
}

TEST(RabbitDefinitions, BadItemsNameTheirPlace) {
  struct Case {
    const char* json;
    const char* want;
  } cases[] = {
      {R"({"queues": {"name": "q"}})", "defs.json: \"queues\" is not a list"},
      {R"({"queues": [{"durable": true}]})", "defs.json: queues[0] has no \"name\""},
      {R"({"queues": [{"name": "q", "durable": "yes"}]})", "defs.json: queues[0] \"durable\" is not true or false"},
      {R"({"bindings": [{"destination": "q", "destination_type": "topic"}]})",
       "bindings[0] destination_type \"topic\" is not queue or exchange"},
      {R"({"policies": [{"name": "p", "pattern": "x", "definition": "{nope"}]})", "is a string that is not JSON"},
  };
  for (const Case& c : cases) {
    auto s = StateFromDefinitions(Json::parse(c.json), "defs.json");
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_NE(s.status().message().find(c.want), std::string::npos) << s.status().message();
  }
}

TEST(RabbitDefinitions, LoaderKeepsDefinitionsFilesApart) {
  InMemoryFileTree tree;
  tree.Add("repo/defs.json", R"({"rabbit_version": "3.10.8", "queues": []})");
  tree.Add("repo/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n");
  auto loaded = LoadRepository(tree, {"repo"});
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded.value().objects.size(), 1u);
  ASSERT_EQ(loaded.value().definitions.size(), 1u);
  EXPECT_EQ(loaded.value().definitions[0].where, "repo/defs.json");
}

TEST(RabbitInventory, RoundTripsAndRejectsGarbage) {
  Inventory inv;
  inv.keys.insert(ResourceKey{kGroup, "Queue", "orders", "ha.orders"});
  inv.keys.insert(ResourceKey{kGroup, "Vhost", "", "orders"});
  auto back = InventoryFromJson(InventoryToJson(inv));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), inv);
  EXPECT_FALSE(InventoryFromJson(Json::parse(R"({"objects": 3})")).ok());
  EXPECT_FALSE(InventoryFromJson(Json::parse(R"({"objects": [{"kind": "Queue"}]})")).ok());
}

TEST(RabbitNormalize, PolicyIntegersAndQueueTypes) {
  EXPECT_EQ(NormalizePolicyDefinition(Json::parse(R"({"max-length": "10", "message-ttl": "60000",
                                                      "ha-mode": "nodes", "ha-params": ["a", "b"],
                                                      "queue-mode": "lazy"})")),
            Json::parse(R"({"max-length": 10, "message-ttl": 60000, "ha-mode": "nodes", "ha-params": ["a", "b"],
                            "queue-mode": "lazy"})"));
  TopologyState s;
  s.queues.push_back(Queue{"a", "/", "", true, false, Json::parse(R"({"x-queue-type": "classic"})")});
  s.queues.push_back(Queue{"b", "/", "", true, false, Json::object()});
  Normalize(&s);
  EXPECT_EQ(s.queues[0].type, "classic");
  EXPECT_TRUE(s.queues[0].arguments.empty());
  EXPECT_EQ(s.queues[1].type, "classic");
}

}  // namespace
}  // namespace warren::rabbit
