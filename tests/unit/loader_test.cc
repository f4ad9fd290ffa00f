#include "diff/model/loader.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace warren {
namespace {

const char* kSts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: rabbitmq\n";

TEST(Loader, WalksDirectoriesAndSkipsOtherFiles) {
  InMemoryFileTree tree;
  tree.Add("m/a.yaml", std::string(kSts) + "---\n# only a comment\n---\n");
  tree.Add("m/sub/b.json", R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"x"}})");
  tree.Add("m/README.md", "not: [yaml");
  tree.Add("m/.hidden/c.yaml", "not: [yaml");
  auto r = LoadManifests(tree, {"m"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r.value().size(), 2u);
  EXPECT_EQ(r.value()[0].ns(), "default");  // defaulted, as kubectl apply does
  EXPECT_EQ(r.value()[1].key().ToString(), "Secret x/s");
}

TEST(Loader, FlattensListsAndFillsItemKinds) {
  const char* list = R"({"apiVersion":"v1","kind":"ServiceList","items":[
      {"metadata":{"name":"a","namespace":"dev"},"spec":{}},
      {"metadata":{"name":"b","namespace":"dev"},"spec":{}}]})";
  auto r = ObjectsFromText(list, "live.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r.value().size(), 2u);
  EXPECT_EQ(r.value()[1].kind(), "Service");
  EXPECT_EQ(r.value()[1].where().ToString(), "live.json:1:1 (items[1])");
  auto yaml = ObjectsFromText(
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n", "l.yaml");
  ASSERT_TRUE(yaml.ok());
  EXPECT_EQ(yaml.value()[0].kind(), "ConfigMap");
  EXPECT_TRUE(IsClusterScoped("", "Namespace"));
}

// A captured live List read with its items kept as text: the same objects, identities, places
// and errors as when read whole, and their trees made only when read.
TEST(Loader, DeferredListItemsAreTheObjectsReadWhole) {
  const std::string list = R"({"apiVersion":"v1","kind":"ServiceList","metadata":{"resourceVersion":"9"},"items":[
      {"metadata":{"name":"a","namespace":"dev","labels":{"x":"\u00e9"}},"spec":{"ports":[{"port":80}]}},
      {"kind":"Service","apiVersion":"v1","metadata":{"name":"b"},"spec":{}},
      {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"c"},"rules":[]}]})";
  LoadOptions defer;
  defer.default_namespace = "ops";
  defer.defer_list_items_above = 0;
  InMemoryFileTree tree;
  tree.Add("live.json", list);
  LoadOptions read_whole;
  read_whole.default_namespace = "ops";
  auto whole = LoadManifests(tree, {"live.json"}, read_whole);
  auto deferred = LoadManifests(tree, {"live.json"}, defer);
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  ASSERT_TRUE(deferred.ok()) << deferred.status().message();
  ASSERT_EQ(deferred.value().size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Object& d = deferred.value()[i];
    EXPECT_TRUE(d.deferred()) << i;
    EXPECT_EQ(d.key(), whole.value()[i].key());
    EXPECT_EQ(d.where().ToString(), whole.value()[i].where().ToString());
    EXPECT_EQ(d.Parsed().doc(), whole.value()[i].doc()) << i;
    EXPECT_TRUE(d.deferred()) << "Parsed keeps nothing";
  }
  EXPECT_EQ(deferred.value()[1].ns(), "ops") << "defaulted, in the tree read too";
  LoadOptions small = defer;
  small.defer_list_items_above = list.size();
  auto at_limit = LoadManifests(tree, {"live.json"}, small);
  ASSERT_TRUE(at_limit.ok());
  EXPECT_FALSE(at_limit.value()[0].deferred()) << "a List no larger than the limit is read whole";
  EXPECT_EQ(deferred.value()[2].ns(), "") << "cluster-scoped";

  // The same errors, naming the item.
  InMemoryFileTree bad;
  bad.Add("noname.json",
          R"({"apiVersion":"v1","kind":"List","items":[{"kind":"Secret","apiVersion":"v1","metadata":{}}]})");
  bad.Add(
      "twice.json",
      R"({"apiVersion":"v1","kind":"ConfigMapList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"a"}}]})");
  bad.Add("control.json", "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[],\"x\":\"\x7f\"}");
  bad.Add("surrogate.json", R"({"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap",)"
                            R"("metadata":{"name":"z"},"data":{"a":"\ud800"}}]})");  // the fast reader gives up
  for (const char* file : {"noname.json", "twice.json", "control.json", "surrogate.json"}) {
    auto w = LoadManifests(bad, {file}, read_whole);
    auto d = LoadManifests(bad, {file}, defer);
    ASSERT_FALSE(w.ok()) << file;
    ASSERT_FALSE(d.ok()) << file;
    EXPECT_EQ(d.status().message(), w.status().message());
  }

  // Anything but a JSON List the fast reader reads is read whole, as before.
  InMemoryFileTree others;
  others.Add("one.json", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  others.Add("list.yaml",
             "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: cm}}\n");
  for (const char* file : {"one.json", "list.yaml"}) {
    auto d = LoadManifests(others, {file}, defer);
    ASSERT_TRUE(d.ok()) << d.status().message();
    EXPECT_FALSE(d.value()[0].deferred()) << file;
  }
}

TEST(Loader, BadDocumentsNameTheirLocation) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"- a\n- b\n", "f.yaml:1:1: document is a sequence, not a Kubernetes object"},
      {"just a string\n", "document is a string"},
      {"apiVersion: v1\nmetadata: {name: x}\n", "object has no kind"},
      {"kind: Service\nmetadata: {name: x}\n", "object has no apiVersion"},
      {"apiVersion: v1\nkind: Service\n", "Service has no metadata"},
      {"apiVersion: v1\nkind: Service\nmetadata: {namespace: x}\n", "Service has no metadata.name"},
      {"a: 1\n---\napiVersion: v1\nkind: Service\nmetadata: {name: x}\n", "f.yaml:1:1: object has no apiVersion"},
  };
  for (const auto& c : cases) {
    auto r = ObjectsFromText(c.text, "f.yaml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().message();
  }
}

TEST(Loader, DuplicateIdentityNamesBothPlaces) {
  InMemoryFileTree tree;
  tree.Add("a.yaml", kSts);
  tree.Add("b.yaml", std::string("# x\n") + kSts);
  auto r = LoadManifests(tree, {"a.yaml", "b.yaml"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "b.yaml:2:1: StatefulSet default/rabbitmq is defined twice (first at a.yaml:1:1)");

  // Of several repeats, the one met first in load order, with the first of its identity.
  auto cm = [](const char* name) {
    return std::string("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ") + name + "}\n";
  };
  InMemoryFileTree many;
  many.Add("m.yaml", cm("z") + cm("a") + cm("b") + cm("z") + cm("a") + cm("a") + cm("b"));
  auto first = LoadManifests(many, {"m.yaml"});
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().message(), "m.yaml:13:1: ConfigMap default/z is defined twice (first at m.yaml:1:1)");
}

TEST(Loader, LocationOfFallsBackToNearestAncestor) {
  LoadOptions o;
  o.decode.record_positions = true;
  auto r = ObjectsFromText(std::string(kSts) + "spec:\n  replicas: 3\n", "s.yaml", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()[0].LocationOf("/spec/replicas").line, 6);
  EXPECT_EQ(r.value()[0].LocationOf("/spec/replicas/nothing/here").line, 6);
}

}  // namespace
}  // namespace warren

namespace warren {
namespace {

TEST(JsonPointer, UnderAndEscape) {
  EXPECT_TRUE(PointerUnder("/spec", "/spec"));
  EXPECT_TRUE(PointerUnder("/spec/replicas", "/spec"));
  EXPECT_FALSE(PointerUnder("/specs", "/spec"));
  EXPECT_FALSE(PointerUnder("/sp", "/spec"));
  EXPECT_EQ(EscapePointerToken("app.kubernetes.io/name~x"), "app.kubernetes.io~1name~0x");
}

}  // namespace
}  // namespace warren

namespace warren {
namespace {

// Stands in for kustomize: prints a fixed build, with origins relative to /build.
class FixedKustomizer : public Kustomizer {
 public:
  explicit FixedKustomizer(std::string yaml) : yaml_(std::move(yaml)) {}
  Result<KustomizeOutput> Build(const FileTree&, const std::string& dir) const override {
    built.push_back(dir);
    return KustomizeOutput{yaml_, "/work/build", "/work/tree"};
  }
  mutable std::vector<std::string> built;

 private:
  std::string yaml_;
};

TEST(Kustomization, OutermostRootsOnly) {
  EXPECT_EQ(KustomizationRoots(
                {"a/kustomization.yaml", "a/sub/kustomization.yml", "a/x.yaml", "b/Kustomization", "c/d.yaml"}),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(KustomizationRoots({"kustomization.yaml", "base/kustomization.yaml"}), (std::vector<std::string>{"."}));
  EXPECT_TRUE(KustomizationRoots({"a/not-a-kustomization.yaml"}).empty());
}

TEST(Kustomization, OriginPathsBecomeTreePaths) {
  KustomizeOutput out{"", "/work/build", "/work/tree"};
  EXPECT_EQ(OriginTreePath(out, "../tree/base/sts.yaml"), "base/sts.yaml");
  EXPECT_EQ(OriginTreePath(out, "../elsewhere/base.yaml"), "/work/elsewhere/base.yaml");
  EXPECT_EQ(OriginFile("path: ../tree/base/sts.yaml\n"), "../tree/base/sts.yaml");
  EXPECT_EQ(OriginFile("configuredIn: ../tree/kustomization.yaml\nconfiguredBy:\n  kind: ConfigMapGenerator\n"),
            "../tree/kustomization.yaml");
  EXPECT_EQ(OriginFile("repo: x\n"), "");
}

TEST(Kustomization, ABuiltDirectoryIsReadFromTheBuildWithOriginsAndWithoutTheAnnotation) {
  InMemoryFileTree tree;
  tree.Add("overlay/kustomization.yaml", "resources: [../base]\n");
  tree.Add("overlay/patch.yaml", "not: [a manifest");  // an input to the build, never read alone
  tree.Add("base/sts.yaml", "# the base\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: rabbitmq\n");
  FixedKustomizer kustomizer(
      "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: dev-rabbitmq\n  namespace: dev\n  annotations:\n"
      "    config.kubernetes.io/origin: |\n      path: ../tree/base/sts.yaml\n");
  LoadOptions options;
  options.kustomizer = &kustomizer;
  auto r = LoadManifests(tree, {"overlay"}, options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(kustomizer.built, std::vector<std::string>{"overlay"});
  EXPECT_EQ(r.value()[0].where().ToString(), "base/sts.yaml:2");
  EXPECT_FALSE(r.value()[0].doc()["metadata"].contains("annotations"));

  auto refused = LoadManifests(tree, {"overlay"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "overlay: holds a kustomization, and no kustomize builder was given to read it");
}

}  // namespace
}  // namespace warren
