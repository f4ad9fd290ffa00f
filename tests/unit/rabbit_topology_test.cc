#include "diff/model/rabbit_topology.h"

#include <gtest/gtest.h>

#include "diff/model/loader.h"

namespace warren::rabbit {
namespace {

Object One(const std::string& yaml) {
  auto r = ObjectsFromText(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.value().at(0);
}

TEST(RabbitTopology, OperatorDefaultsApply) {
  auto p =
      PolicyFromObject(One("apiVersion: rabbitmq.com/v1beta1\nkind: Policy\nmetadata: {name: p}\n"
                           "spec: {name: ha-all, pattern: '^ha\\.', definition: {ha-mode: all}}\n"));
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p.value().vhost, "/");
  EXPECT_EQ(p.value().apply_to, "all");
  EXPECT_EQ(p.value().priority, 0);
  auto e = ExchangeFromObject(
      One("apiVersion: rabbitmq.com/v1beta1\nkind: Exchange\nmetadata: {name: e}\nspec: {name: x}\n"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().type, "direct");
  EXPECT_FALSE(e.value().durable);
  auto q =
      QueueFromObject(One("apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: q}\nspec: {name: q, "
                          "durable: true, type: quorum}\n"));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q.value().type, "quorum");
}

TEST(RabbitTopology, InvalidSpecsNameTheObjectAndField) {
  struct Case {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"kind: Queue\nspec: {durable: true}\n", "Queue default/o spec.name is required"},
      {"kind: Queue\nspec: {name: q, type: quorum}\n", "quorum queues must be durable"},
      {"kind: Exchange\nspec: {name: x, type: fan}\n",
       "spec.type \"fan\" is not one of direct, fanout, headers, topic"},
      {"kind: Policy\nspec: {name: p, pattern: x}\n", "spec.definition is required"},
      {"kind: Policy\nspec: {name: p, pattern: x, definition: {a: 1}, priority: high}\n",
       "spec.priority must be an integer"},
      {"kind: Binding\nspec: {source: x, destination: q}\n", "spec.destinationType is required"},
      {"kind: Vhost\nmetadata: {name: o}\n", "has no spec"},
      {"kind: Vhost\nspec: {name: v, tags: [1]}\n", "spec.tags must be a list of strings"},
      {"kind: Queue\nspec: {name: q, deletionPolicy: 5}\n", "spec.deletionPolicy must be a string"},
      {"kind: Queue\nspec: {name: q, deletionPolicy: keep}\n",
       "spec.deletionPolicy \"keep\" is not one of delete, retain"},
  };
  for (const auto& c : cases) {
    std::string yaml = std::string("apiVersion: rabbitmq.com/v1beta1\n") + c.yaml;
    if (yaml.find("metadata") == std::string::npos) yaml += "metadata: {name: o}\n";
    Status s = ValidateTopologyObject(One(yaml));
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_NE(s.message().find(c.want), std::string::npos) << s.message();
    EXPECT_EQ(s.message().rfind("t.yaml:", 0), 0u) << s.message();
  }
}

}  // namespace
}  // namespace warren::rabbit
