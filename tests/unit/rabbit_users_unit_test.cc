// Users, permissions, operator policies, vhost limits, retain and what warren does not carry, in
// the pure core: read from the operator's shapes (credentials from a Secret of the set), compared
// with a live state without ever holding a password in a change, and named when unsupported.
#include <gtest/gtest.h>

#include "diff/engine/render.h"
#include "diff/model/loader.h"
#include "diff/rabbit/definitions.h"
#include "diff/rabbit/desired_topology.h"
#include "diff/rabbit/password_hash.h"
#include "diff/rabbit/topology_diff.h"

namespace warren::rabbit {
namespace {

using diff::Action;

const char* kSet = R"(
apiVersion: v1
kind: Secret
metadata: {name: app-creds, namespace: dev}
data: {username: YXBw, password: czNjcjN0}
---
apiVersion: rabbitmq.com/v1beta1
kind: User
metadata: {name: app-user, namespace: dev}
spec: {tags: [monitoring, management], importCredentialsSecret: {name: app-creds}}
---
apiVersion: rabbitmq.com/v1beta1
kind: Permission
metadata: {name: app-perm, namespace: dev}
spec: {vhost: v, userReference: {name: app-user}, permissions: {configure: "^app", write: ".*", read: ".*"}}
---
apiVersion: rabbitmq.com/v1beta1
kind: Vhost
metadata: {name: v, namespace: dev}
spec: {name: v, limits: {connections: 10}, deletionPolicy: retain}
---
apiVersion: rabbitmq.com/v1beta1
kind: OperatorPolicy
metadata: {name: cap, namespace: dev}
spec: {name: cap, vhost: v, pattern: ".*", definition: {max-length: "100"}}
)";

Result<TopologyState> Read(const std::string& yaml) {
  WARREN_ASSIGN_OR_RETURN(auto objects, ObjectsFromText(yaml, "set.yaml"));
  return DesiredTopology(objects, {});
}

TEST(RabbitUsersCore, CredentialsComeFromTheSecretAndReferencesResolve) {
  auto s = Read(kSet);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s.value().users.size(), 1u);
  EXPECT_EQ(s.value().users[0].name, "app");  // the Secret's username (base64 data)
  EXPECT_EQ(s.value().users[0].password, "s3cr3t");
  EXPECT_EQ(s.value().users[0].tags, Json({"management", "monitoring"})) << "sorted";
  ASSERT_EQ(s.value().permissions.size(), 1u);
  EXPECT_EQ(s.value().permissions[0].user, "app") << "userReference names the User, whose name is the Secret's";
  EXPECT_EQ(s.value().vhosts[0].limits, Json({{"max-connections", 10}}));
  EXPECT_EQ(s.value().operator_policies[0].apply_to, "queues");
  EXPECT_EQ(s.value().operator_policies[0].definition["max-length"], 100) << "normalised like a policy";
  EXPECT_TRUE(s.value().retained.count(ResourceKey{kGroup, "Vhost", "", "v"}));
}

TEST(RabbitUsersCore, SecretsTheSetLacksAreListedForTheCluster) {
  auto objects =
      ObjectsFromText(std::string(kSet) +
                          "---\napiVersion: rabbitmq.com/v1beta1\nkind: Shovel\n"
                          "metadata: {name: s, namespace: dev}\nspec: {name: s, uriSecret: {name: shovel-uris}}\n",
                      "set.yaml");
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(SecretsNotInSet(objects.value()), (std::vector<ResourceKey>{{"", "Secret", "dev", "shovel-uris"}}))
      << "app-creds is in the set";
}

TEST(RabbitUsersCore, MissingCredentialsAndReferencesNameTheObject) {
  std::string no_secret = std::string(kSet).replace(std::string(kSet).find("name: app-creds}}"), 17, "name: other}}");
  auto a = Read(no_secret);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("User dev/app-user spec.importCredentialsSecret names Secret dev/other, which is "
                                      "not in the desired set nor, with a Kubernetes target, in the cluster"),
            std::string::npos)
      << a.status().message();
  std::string dangling = std::string(kSet).replace(std::string(kSet).find("userReference: {name: app-user}"), 31,
                                                   "userReference: {name: nobody}");
  auto b = Read(dangling);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("spec.userReference names User nobody, which is not in the desired set"),
            std::string::npos)
      << b.status().message();
  auto c = Read(
      "apiVersion: rabbitmq.com/v1beta1\nkind: Permission\nmetadata: {name: p}\n"
      "spec: {vhost: v, user: a, userReference: {name: b}, permissions: {read: x}}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("needs exactly one of spec.user and spec.userReference"), std::string::npos);
}

TEST(RabbitUsersCore, PasswordDriftIsAMaskedChangeAndLimitsCompareWhenSet) {
  auto desired = Read(kSet);
  ASSERT_TRUE(desired.ok());
  std::string right = HashPassword("s3cr3t", "salt", "rabbit_password_hashing_sha256");
  std::string wrong = HashPassword("other", "salt", "rabbit_password_hashing_sha256");
  auto live_with = [&](const std::string& hash, int max_connections) {
    Json defs = {
        {"vhosts", {{{"name", "v"}}}},
        {"users",
         {{{"name", "app"},
           {"password_hash", hash},
           {"hashing_algorithm", "rabbit_password_hashing_sha256"},
           {"tags", {"management", "monitoring"}}}}},
        {"permissions", {{{"user", "app"}, {"vhost", "v"}, {"configure", "^app"}, {"write", ".*"}, {"read", ".*"}}}},
        {"operator_policies",
         {{{"name", "cap"},
           {"vhost", "v"},
           {"pattern", ".*"},
           {"apply-to", "queues"},
           {"definition", {{"max-length", 100}}}}}}};
    auto state = StateFromDefinitions(defs, "live");
    EXPECT_TRUE(state.ok()) << state.status().message();
    TopologyState s = state.value();
    EXPECT_TRUE(
        MergeVhostLimits(Json::array({{{"vhost", "v"}, {"value", {{"max-connections", max_connections}}}}}), &s).ok());
    Normalize(&s);
    return s;
  };
  diff::DiffReport same = DiffTopology(desired.value(), live_with(right, 10), Inventory{});
  for (const auto& o : same.objects)
    EXPECT_EQ(o.action, Action::kUnchanged) << o.DisplayName() << diff::RenderText(same, false);

  diff::DiffReport drift = DiffTopology(desired.value(), live_with(wrong, 99), Inventory{});
  std::string text = diff::RenderText(drift, false);
  EXPECT_NE(text.find("~ User app  (update)\n    .password: changed (value hidden)"), std::string::npos) << text;
  EXPECT_NE(text.find(".limits.max-connections: 99 → 10"), std::string::npos) << text;
  std::string json = diff::ToJson(drift).dump();
  for (const std::string& leak : {std::string("s3cr3t"), right, wrong}) {
    EXPECT_EQ(text.find(leak), std::string::npos);
    EXPECT_EQ(json.find(leak), std::string::npos);
  }
}

// spec.userLimits as RabbitMQ's user limits: compared when git sets them (the live ones come in the
// definitions), ignored when it does not.
TEST(RabbitUsersCore, UserLimitsCompareWhenSet) {
  auto user_spec = [](const std::string& more) {
    const std::string from = "importCredentialsSecret: {name: app-creds}}";
    std::string text = kSet;
    return text.replace(text.find(from), from.size(), "importCredentialsSecret: {name: app-creds}, " + more + "}");
  };
  std::string with_limits = user_spec("userLimits: {connections: 5, channels: 0}");
  auto desired = Read(with_limits);
  ASSERT_TRUE(desired.ok()) << desired.status().message();
  EXPECT_EQ(desired.value().users[0].limits, Json({{"max-connections", 5}, {"max-channels", 0}}));
  EXPECT_TRUE(Read(kSet).value().users[0].limits.is_null()) << "not set: not managed";
  auto bad = Read(user_spec("userLimits: {connections: -1}"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("spec.userLimits.connections must be a whole number, 0 or more"),
            std::string::npos)
      << bad.status().message();

  std::string hash = HashPassword("s3cr3t", "salt", "rabbit_password_hashing_sha256");
  auto live = StateFromDefinitions({{"users",
                                     {{{"name", "app"},
                                       {"password_hash", hash},
                                       {"tags", {"management", "monitoring"}},
                                       {"limits", {{"max-connections", 7}, {"max-other", 1}}}}}}},
                                   "live");
  ASSERT_TRUE(live.ok()) << live.status().message();
  TopologyState d = desired.value();
  d.vhosts.clear(), d.permissions.clear(), d.operator_policies.clear();
  std::string text = diff::RenderText(DiffTopology(d, live.value(), Inventory{}), false);
  for (const char* line :
       {".limits.max-connections: 7 → 5", ".limits.max-channels: (absent) → 0", ".limits.max-other: 1 → (removed)"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in:\n" << text;
}

TEST(RabbitUsersCore, RetainIsRecordedInTheInventoryAndNamedInThePlan) {
  Inventory inv;
  ResourceKey q{kGroup, "Queue", "v", "kept"};
  inv.keys.insert(q);
  inv.retained.insert(q);
  auto back = InventoryFromJson(InventoryToJson(inv));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), inv);
  TopologyState desired, live;
  desired.vhosts.push_back(Vhost{"v"});
  live.vhosts.push_back(Vhost{"v"});
  live.queues.push_back(Queue{"kept", "v", "classic"});
  diff::DiffReport plan = DiffTopology(desired, live, inv);
  ASSERT_EQ(plan.objects.back().action, Action::kPrune);
  EXPECT_NE(plan.objects.back().reason.find("deletionPolicy retain: forgotten, never deleted"), std::string::npos);
}

TEST(RabbitUsersCore, UnsupportedFieldsAndKindsAreNamedWithTheirPlace) {
  auto objects = ObjectsFromText(
      "apiVersion: rabbitmq.com/v1beta1\nkind: Vhost\nmetadata: {name: v}\n"
      "spec: {name: v, limits: {connections: 1, channels: 2}, bogus: 1, deletionPolicy: retain}\n---\n"
      "apiVersion: rabbitmq.com/v1alpha1\nkind: SchemaReplication\nmetadata: {name: s}\nspec: {}\n---\n"
      "apiVersion: rabbitmq.com/v1beta1\nkind: RabbitmqCluster\nmetadata: {name: c}\n",
      "u.yaml");
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(UnsupportedFields(objects.value()[0]), (std::vector<std::string>{"spec.bogus", "spec.limits.channels"}));
  std::vector<std::string> notes = NotCarried(objects.value());
  ASSERT_EQ(notes.size(), 3u) << "RabbitmqCluster is the cluster operator's: a Kubernetes object";
  EXPECT_NE(notes[0].find("u.yaml:"), std::string::npos);
  EXPECT_NE(notes[0].find("spec.bogus is not supported by warren: not compared, not applied"), std::string::npos)
      << notes[0];
  EXPECT_NE(notes[2].find("SchemaReplication default/s: warren does not manage this rabbitmq.com kind"),
            std::string::npos)
      << notes[2];
}

}  // namespace
}  // namespace warren::rabbit
