// SuperStream in the pure core: the operator's v1alpha1 shape expanded into the exchange, stream
// queues and bindings RabbitMQ keeps, its mistakes named with their place, and what the broker's
// version allows decided before anything is applied.
#include <gtest/gtest.h>

#include "diff/model/loader.h"
#include "diff/rabbit/broker_version.h"
#include "diff/rabbit/desired_topology.h"
#include "diff/rabbit/topology_diff.h"

namespace warren::rabbit {
namespace {

Result<TopologyState> Read(const std::string& spec, const std::string& more = "") {
  WARREN_ASSIGN_OR_RETURN(
      auto objects,
      ObjectsFromText("apiVersion: rabbitmq.com/v1alpha1\nkind: SuperStream\nmetadata: {name: inv, namespace: dev}\n"
                      "spec: " +
                          spec + "\n" + more,
                      "ss.yaml"));
  return DesiredTopology(objects, {});
}

TEST(SuperStream, ExpandsIntoAnExchangeStreamsAndOrderedBindings) {
  auto s = Read("{name: invoices, vhost: billing, rabbitmqClusterReference: {name: r}}");
  ASSERT_TRUE(s.ok()) << s.status().message();
  const TopologyState& t = s.value();
  ASSERT_EQ(t.exchanges.size(), 1u);
  EXPECT_EQ(t.exchanges[0].name, "invoices");
  EXPECT_EQ(t.exchanges[0].vhost, "billing");
  EXPECT_EQ(t.exchanges[0].type, "direct");
  EXPECT_TRUE(t.exchanges[0].durable);
  ASSERT_EQ(t.queues.size(), 3u) << "3 partitions by default, as the operator's CRD";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.queues[i].name, "invoices-" + std::to_string(i));
    EXPECT_EQ(t.queues[i].type, "stream");
    EXPECT_TRUE(t.queues[i].durable);
    EXPECT_EQ(t.bindings[i].source, "invoices");
    EXPECT_EQ(t.bindings[i].destination, "invoices-" + std::to_string(i));
    EXPECT_EQ(t.bindings[i].routing_key, std::to_string(i));
    EXPECT_EQ(t.bindings[i].arguments, Json({{"x-stream-partition-order", i}}));
  }
  EXPECT_EQ(t.origins.at(KeyOf(t.queues[2])), "ss.yaml:1:1") << "every item is written where the SuperStream is";
  ASSERT_EQ(t.super_streams.size(), 1u);
}

TEST(SuperStream, RoutingKeysNameThePartitions) {
  auto s = Read("{name: orders, partitions: 2, routingKeys: [eu, us]}");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s.value().queues.size(), 2u);
  EXPECT_EQ(s.value().queues[1].name, "orders-us");
  EXPECT_EQ(s.value().bindings[1].routing_key, "us");
  EXPECT_EQ(s.value().bindings[1].arguments, Json({{"x-stream-partition-order", 1}}));
}

TEST(SuperStream, MistakesNameTheObjectAndField) {
  struct Case {
    const char* spec;
    const char* want;
  } cases[] = {
      {"{partitions: 2}", "SuperStream dev/inv spec.name is required"},
      {"{name: o, partitions: 0}", "spec.partitions must be an integer from 1 to 1000"},
      {"{name: o, partitions: two}", "spec.partitions must be an integer from 1 to 1000"},
      {"{name: o, routingKeys: [a, b]}", "spec.routingKeys has 2 keys for 3 partitions; give one key per partition"},
      {"{name: o, partitions: 2, routingKeys: [a, a]}", "spec.routingKeys: \"a\" is given twice"},
      {"{name: o, partitions: 1, routingKeys: [1]}", "spec.routingKeys must be a list of strings"},
  };
  for (const auto& c : cases) {
    auto s = Read(c.spec);
    ASSERT_FALSE(s.ok()) << c.spec;
    EXPECT_NE(s.status().message().find(c.want), std::string::npos) << s.status().message();
    EXPECT_EQ(s.status().message().rfind("ss.yaml:", 0), 0u) << s.status().message();
  }
}

TEST(SuperStream, APartitionDeclaredAgainIsDefinedTwice) {
  auto s = Read("{name: o, partitions: 1}",
                "---\napiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: q, namespace: dev}\n"
                "spec: {name: o-0, type: stream, durable: true}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("RabbitMQ Queue o-0 (vhost /) is defined twice (first at ss.yaml:1:1)"),
            std::string::npos)
      << s.status().message();
}

TEST(SuperStream, NoLongerNamedAsUnmanaged) {
  auto objects = ObjectsFromText(
      "apiVersion: rabbitmq.com/v1alpha1\nkind: SuperStream\nmetadata: {name: s}\n"
      "spec: {name: s, partitions: 1, bogus: 1}\n",
      "u.yaml");
  ASSERT_TRUE(objects.ok());
  std::vector<std::string> notes = NotCarried(objects.value());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("SuperStream default/s: spec.bogus is not supported by warren"), std::string::npos)
      << notes[0];
}

TEST(BrokerVersion, ParsesReleasesAndIgnoresSuffixes) {
  EXPECT_EQ(ParseBrokerVersion("3.10.8"), (std::vector<int>{3, 10, 8}));
  EXPECT_EQ(ParseBrokerVersion("3.12.0-rc.1"), (std::vector<int>{3, 12, 0}));
  EXPECT_EQ(ParseBrokerVersion("4.0"), (std::vector<int>{4, 0}));
  EXPECT_TRUE(ParseBrokerVersion("").empty());
  EXPECT_TRUE(ParseBrokerVersion("3").empty());
  EXPECT_TRUE(ParseBrokerVersion("v3.10").empty());
}

TEST(BrokerVersion, StreamsNeed39AndSuperStreamClients311) {
  auto s = Read("{name: inv, partitions: 2}");
  ASSERT_TRUE(s.ok());
  Status old = CheckBrokerVersion(s.value(), "3.8.9");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.message(),
            "ss.yaml:1:1: SuperStream inv (vhost /) is made of stream queues, which RabbitMQ has from 3.9 on; "
            "the broker runs 3.8.9");
  EXPECT_TRUE(BrokerVersionNotes(s.value(), "3.8.9").empty()) << "the error says it all";

  EXPECT_TRUE(CheckBrokerVersion(s.value(), "3.10.8").ok());
  std::vector<std::string> notes = BrokerVersionNotes(s.value(), "3.10.8");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0],
            "ss.yaml:1:1: SuperStream inv (vhost /): its exchange, 2 stream queue(s) and bindings are managed, "
            "but stream clients use super streams from RabbitMQ 3.11 on; the broker runs 3.10.8");

  EXPECT_TRUE(CheckBrokerVersion(s.value(), "3.11.0").ok());
  EXPECT_TRUE(BrokerVersionNotes(s.value(), "3.13.7").empty());
  EXPECT_TRUE(CheckBrokerVersion(s.value(), "").ok()) << "an unknown version checks nothing";

  // A stream queue on its own needs 3.9 too.
  auto q = ObjectsFromText(
      "apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: q}\n"
      "spec: {name: log, type: stream, durable: true}\n",
      "q.yaml");
  ASSERT_TRUE(q.ok());
  auto t = DesiredTopology(q.value(), {});
  ASSERT_TRUE(t.ok());
  Status stream = CheckBrokerVersion(t.value(), "3.8.35");
  ASSERT_FALSE(stream.ok());
  EXPECT_NE(stream.message().find("q.yaml:1:1: queue log (vhost /) is a stream queue, which RabbitMQ has from 3.9 on"),
            std::string::npos)
      << stream.message();
}

}  // namespace
}  // namespace warren::rabbit
