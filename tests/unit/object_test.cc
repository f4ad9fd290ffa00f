// Json's sorted-vector objects behave as nlohmann's std::map ones do, and Object copies share
// their document until one is written.
#include <map>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "diff/model/object.h"

namespace warren {
namespace {

TEST(SortedMapJson, SameDumpsOrderAndEqualityAsStdMap) {
  const std::string text = R"({"spec":{"b":1,"a":[{"z":1,"y":2}],"c":null},"kind":"X","apiVersion":"v1",)"
                           R"("metadata":{"name":"n","labels":{"k2":"v","k1":"v"}}})";
  Json mine = Json::parse(text);
  nlohmann::json theirs = nlohmann::json::parse(text);
  EXPECT_EQ(mine.dump(), theirs.dump());
  EXPECT_EQ(mine.dump(2), theirs.dump(2));
  EXPECT_EQ(Json::parse(theirs.dump()), mine);
  EXPECT_LT(Json::parse(R"({"a":1})"), Json::parse(R"({"a":2})"));
  EXPECT_LT(Json::parse(R"({"a":1})"), Json::parse(R"({"b":0})"));
  EXPECT_EQ(Json::parse(R"({"b":1,"a":2})"), Json::parse(R"({"a":2,"b":1})"));
}

TEST(SortedMapJson, InsertFindEraseAsAMap) {
  Json j = Json::object();
  for (const char* k : {"m", "c", "x", "a", "q"}) j[k] = k;
  std::string order;
  for (auto& [k, v] : j.items()) order += k;
  EXPECT_EQ(order, "acmqx");
  EXPECT_TRUE(j.contains("q"));
  EXPECT_TRUE(j.contains(std::string_view("x")));
  EXPECT_FALSE(j.contains("b"));
  EXPECT_EQ(j.count("a"), 1u);
  EXPECT_EQ(j.erase("c"), 1u);
  EXPECT_EQ(j.erase("c"), 0u);
  EXPECT_EQ(j.size(), 4u);
  EXPECT_EQ(j.at("m"), "m");
  EXPECT_THROW((void)j.at("c"), Json::out_of_range);
  // emplace keeps what is there, as std::map does; the initializer list keeps the first of a key.
  EXPECT_FALSE(j.emplace("m", "other").second);
  EXPECT_EQ(j["m"], "m");
  Json dup = {{"k", 1}, {"k", 2}};
  EXPECT_EQ(dup["k"], 1);
  // From a std::map and back.
  std::map<std::string, int> m = {{"b", 2}, {"a", 1}};
  Json from = m;
  EXPECT_EQ(from.dump(), R"({"a":1,"b":2})");
  EXPECT_EQ((from.get<std::map<std::string, int>>()), m);
  Json merged = {{"a", 0}, {"z", 26}};
  merged.update(from);
  EXPECT_EQ(merged.dump(), R"({"a":1,"b":2,"z":26})");
}

TEST(ObjectCopyOnWrite, CopiesShareUntilOneIsWritten) {
  Object a(Json{{"kind", "ConfigMap"}, {"metadata", {{"name", "a"}}}}, SourceLocation{"a.yaml"});
  Object b = a;
  EXPECT_EQ(&a.doc(), &b.doc()) << "a copy shares the tree";
  b.mutable_doc()["metadata"]["name"] = "b";
  EXPECT_NE(&a.doc(), &b.doc());
  EXPECT_EQ(a.name(), "a") << "writing a copy leaves the original alone";
  EXPECT_EQ(b.name(), "b");
  const Json* before = &b.doc();
  b.mutable_doc()["data"] = Json::object();
  EXPECT_EQ(&b.doc(), before) << "a tree with one owner is written in place";
  Object empty;
  EXPECT_TRUE(empty.doc().is_null());
  empty.mutable_doc()["kind"] = "X";
  EXPECT_TRUE(Object().doc().is_null()) << "the shared empty document is never written";
}

TEST(ObjectFromText, KnowsItsIdentityWithoutATreeAndReadsOnDemand) {
  auto text = std::make_shared<const std::string>(
      R"(["x", {"metadata": {"name": "a", "labels": {"k": "v"}}, "spec": {"replicas": 3}}])");
  const size_t offset = text->find('{');
  Json head = {{"apiVersion", "apps/v1"}, {"kind", "StatefulSet"}, {"metadata", {{"name", "a"}, {"namespace", "dev"}}}};
  Object o = Object::FromText({text, offset, text->size() - offset - 1, head}, SourceLocation{"live.json", 1, 1, 1});
  EXPECT_EQ(o.key().ToString(), "StatefulSet dev/a");
  EXPECT_EQ(o.api_version(), "apps/v1");
  EXPECT_TRUE(o.deferred()) << "its identity is the head's: no tree made";

  // Parsed: a tree of its own, with the head's identity written in; the original stays text.
  Object read = o.Parsed();
  EXPECT_FALSE(read.deferred());
  EXPECT_EQ(read.doc().dump(),
            R"({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"labels":{"k":"v"},"name":"a",)"
            R"("namespace":"dev"},"spec":{"replicas":3}})");
  EXPECT_TRUE(o.deferred());
  EXPECT_NE(&o.Parsed().doc(), &read.doc()) << "each Parsed is read anew";

  // doc(): made once and kept, shared by the copies made before.
  Object copy = o;
  const Json& kept = o.doc();
  EXPECT_EQ(kept, read.doc());
  EXPECT_EQ(&copy.doc(), &kept);
  EXPECT_EQ(o.where().ToString(), "live.json:1:1 (items[1])");

  // Written: its own tree, the copies untouched.
  copy.mutable_doc()["spec"]["replicas"] = 5;
  EXPECT_FALSE(copy.deferred());
  EXPECT_EQ(copy.doc()["spec"]["replicas"], 5);
  EXPECT_EQ(o.doc()["spec"]["replicas"], 3);
}

}  // namespace
}  // namespace warren
