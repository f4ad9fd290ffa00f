// Golden cases under tests/golden, and every real live object in tests/fixtures/live-fixtures
// against the desired state that was actually applied to it.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "diff/engine/diff.h"
#include "diff/engine/render.h"
#include "diff/model/loader.h"

namespace warren::diff {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Object> Load(const fs::path& p) {
  auto r = ObjectsFromText(ReadFile(p), p.filename().string());
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : std::vector<Object>{};
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesExpectedJson) {
  fs::path dir = fs::path(WARREN_SOURCE_DIR) / "tests/golden";
  std::string name = GetParam();
  DiffOptions options;
  if (fs::exists(dir / (name + ".ignore.yaml"))) {
    auto docs = DecodeYaml(ReadFile(dir / (name + ".ignore.yaml")), name + ".ignore.yaml");
    ASSERT_TRUE(docs.ok());
    auto config = ParseIgnoreConfig(docs.value()[0].value, name);
    ASSERT_TRUE(config.ok()) << config.status().message();
    options.ignore = config.value();
  }
  DiffReport report = Diff(Load(dir / (name + ".desired.yaml")), Load(dir / (name + ".live.yaml")), options);
  Json got = ToJson(report);
  fs::path expected_path = dir / (name + ".expected.json");
  if (std::getenv("UPDATE_GOLDEN")) {
    std::ofstream(expected_path) << got.dump(2) << "\n";
    GTEST_SKIP() << "regenerated " << expected_path;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << "run with UPDATE_GOLDEN=1 to create " << expected_path;
  Json expected = Json::parse(ReadFile(expected_path));
  EXPECT_EQ(got, expected) << "got:\n" << got.dump(2) << "\ntext:\n" << RenderText(report, false);
}

std::vector<std::string> Cases() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(WARREN_SOURCE_DIR) / "tests/golden")) {
    std::string f = e.path().filename().string();
    const std::string suffix = ".desired.yaml";
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(f.substr(0, f.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::ValuesIn(Cases()), [](const auto& param_info) {
  std::string n = param_info.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
});

// Keeps only the fields a fieldsV1 tree names: what that manager applied.
Json Project(const Json& live, const Json& fields) {
  if (live.is_object()) {
    Json out = Json::object();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (it.key().rfind("f:", 0) != 0) continue;
      std::string name = it.key().substr(2);
      if (!live.contains(name)) continue;
      out[name] = it.value().empty() ? live[name] : Project(live[name], it.value());
    }
    return out;
  }
  if (live.is_array()) {
    Json out = Json::array();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (it.key().rfind("k:", 0) != 0) continue;
      Json key = Json::parse(it.key().substr(2));
      for (const Json& item : live) {
        bool match = true;
        for (auto k = key.begin(); k != key.end(); ++k) match = match && item.value(k.key(), Json()) == k.value();
        if (match) out.push_back(it.value().size() <= 1 ? item : Project(item, it.value()));
      }
    }
    return out;
  }
  return live;
}

// What was applied to each live fixture: the fields its server-side-apply manager owns, else
// the last-applied-configuration that kubectl apply wrote.
Json AppliedDesired(const Object& live) {
  const Json& meta = live.doc()["metadata"];
  for (const Json& e : meta.value("managedFields", Json::array()))
    if (StringField(e, "operation") == "Apply") {
      Json d = Project(live.doc(), e["fieldsV1"]);
      d["apiVersion"] = live.api_version();
      d["kind"] = live.kind();
      d["metadata"]["name"] = live.name();
      d["metadata"]["namespace"] = live.ns();
      return d;
    }
  std::string last =
      StringField(meta.value("annotations", Json::object()), "kubectl.kubernetes.io/last-applied-configuration");
  return last.empty() ? Json() : Json::parse(last);
}

TEST(LiveFixtures, AppliedDesiredStateShowsNoDrift) {
  fs::path dir = fs::path(WARREN_SOURCE_DIR) / "tests/fixtures/live-fixtures";
  ASSERT_TRUE(fs::exists(dir)) << dir;
  int checked = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string f = e.path().filename().string();
    if (f == "README.md") continue;
    SCOPED_TRACE(f);
    std::vector<Object> live = Load(e.path());
    ASSERT_EQ(live.size(), 1u);
    Json desired_doc = AppliedDesired(live[0]);
    ASSERT_TRUE(desired_doc.is_object()) << "no applied configuration to compare with";
    // The 2019 nginx StatefulSet was scaled from 2 to 4 after it was applied: real drift, and
    // the only one. With the scale written into desired it is in sync.
    if (f == "statefulset-nginx-vct-live-2019.json") {
      ObjectDiff scaled = DiffObject(Object(desired_doc, SourceLocation{f}), &live[0], DiffOptions{});
      ASSERT_EQ(scaled.changes.size(), 1u);
      EXPECT_EQ(scaled.changes[0].path, "/spec/replicas");
      EXPECT_EQ(scaled.changes[0].from, 4);
      desired_doc["spec"]["replicas"] = 4;
    }
    Object desired(desired_doc, SourceLocation{f + " (applied)"});
    ObjectDiff d = DiffObject(desired, &live[0], DiffOptions{});
    DiffReport r;
    r.objects.push_back(d);
    EXPECT_EQ(d.action, Action::kUnchanged) << RenderText(r, false);
    ++checked;
  }
  EXPECT_EQ(checked, 8);
}

TEST(SecretMasking, NoValueBase64OrPlainAppearsInAnyOutput) {
  fs::path dir = fs::path(WARREN_SOURCE_DIR) / "tests/golden";
  DiffReport report = Diff(Load(dir / "secret-keys.desired.yaml"), Load(dir / "secret-keys.live.yaml"));
  std::string text = RenderText(report, false) + RenderText(report, true) + ToJson(report).dump();
  for (const char* secret : {"n3w-Pa55word-Zq9", "bjN3LVBhNTV3b3JkLVpxOQ==", "old-Pa55word-Qk7",
                             "b2xkLVBhNTV3b3JkLVFrNw==", "c3RhbGUtVG9rM24tWHg4", "stale-Tok3n-Xx8",
                             "Y29va2llLXVuY2hhbmdlZA==", "YWRtaW4=", "admin"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " leaked:\n" << text;
  EXPECT_NE(text.find(".data.password: changed (value hidden)"), std::string::npos) << text;
  EXPECT_NE(text.find(".data.stale-token: removed (value hidden)"), std::string::npos) << text;
}

// A value git holds encrypted (SOPS) is hidden whatever the kind: here rabbitmq.conf's
// default_pass in a ConfigMap, and a RabbitMQ password inside an env list.
TEST(SecretMasking, ValuesEncryptedInGitAreHiddenInAnyKind) {
  Json desired_doc = Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"conf","namespace":"dev"},
    "data":{"rabbitmq.conf":"default_pass = n3w-Sealed-pw","plain":"one"}})");
  Json live_doc = Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"conf","namespace":"dev"},
    "data":{"rabbitmq.conf":"default_pass = old-Sealed-pw","plain":"two"}})");
  Object desired(desired_doc, SourceLocation{"conf.yaml"});
  desired.set_encrypted({"/data/rabbitmq.conf"});
  Object live(live_doc, SourceLocation{"live"});
  DiffReport r;
  r.objects.push_back(DiffObject(desired, &live, DiffOptions{}));
  std::string text = RenderText(r, false) + ToJson(r).dump();
  for (const char* secret : {"n3w-Sealed-pw", "old-Sealed-pw"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " leaked:\n" << text;
  EXPECT_NE(text.find("rabbitmq.conf: changed (value hidden)"), std::string::npos) << text;
  EXPECT_NE(text.find("\"two\""), std::string::npos) << "a value not encrypted is shown as always:\n" << text;

  // The whole data map new on one side: the change above the encrypted value is hidden too.
  live_doc["data"] = nullptr;
  Object bare(live_doc, SourceLocation{"live"});
  DiffReport whole;
  whole.objects.push_back(DiffObject(desired, &bare, DiffOptions{}));
  std::string all = RenderText(whole, false) + ToJson(whole).dump();
  EXPECT_EQ(all.find("n3w-Sealed-pw"), std::string::npos) << all;
}

}  // namespace
}  // namespace warren::diff

namespace warren::diff {
namespace {

Object ConfigMap(const std::string& name, const Json& labels = Json::object()) {
  return Object(Json{{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", name}, {"namespace", "dev"}, {"labels", labels}}},
                     {"data", {{"k", name}}}},
                SourceLocation{"(test)"});
}

// Enough pairs to be split across threads: each index is diffed once, with its own counterpart,
// and the report keeps desired's order with warren's leftovers pruned after it.
TEST(DiffEach, EveryIndexOnceWithItsCounterpartInDesiredOrder) {
  const size_t n = 600;
  std::vector<Object> desired, live;
  for (size_t i = 0; i < n; ++i) desired.push_back(ConfigMap("cm-" + std::to_string(i)));
  for (size_t i = n; i-- > 0;)  // live in another order; every third one missing
    if (i % 3 != 0) live.push_back(ConfigMap("cm-" + std::to_string(i)));
  live.push_back(ConfigMap("leftover", {{kManagedByLabel, "warren"}}));
  live.push_back(ConfigMap("someone-elses"));
  std::vector<std::atomic<int>> calls(n);
  std::vector<std::string> paired(n);
  DiffReport report = DiffEach(desired, live, [&](size_t i, const Object* l) {
    ++calls[i];
    paired[i] = l ? l->name() : "";
    return DiffObject(desired[i], l, {});
  });
  ASSERT_EQ(report.objects.size(), n + 1);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(calls[i].load(), 1) << i;
    EXPECT_EQ(paired[i], i % 3 == 0 ? "" : "cm-" + std::to_string(i));
    EXPECT_EQ(report.objects[i].key.name, "cm-" + std::to_string(i));
    EXPECT_EQ(report.objects[i].action, i % 3 == 0 ? Action::kCreate : Action::kUnchanged);
  }
  EXPECT_EQ(report.objects[n].key.name, "leftover");
  EXPECT_EQ(report.objects[n].action, Action::kPrune);
}

// Live objects kept as text (a captured List read with defer_list_items_above) diff as the same
// objects read whole, each read for its pair and let go: none is left with a tree.
TEST(DiffEach, LiveObjectsKeptAsTextAreReadForTheirPairAndLetGo) {
  std::string list = R"({"apiVersion": "v1", "kind": "ConfigMapList", "items": [)";
  std::vector<Object> desired;
  for (int i = 0; i < 300; ++i) {
    std::string name = "cm-" + std::to_string(i);
    Json cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", name}, {"namespace", "dev"}}},
               {"data", {{"k", i % 4 == 0 ? "changed" : "v"}}}};
    desired.emplace_back(cm, SourceLocation{"git.yaml"});
    cm["data"]["k"] = "v";
    cm.erase("kind");  // filled from the List's kind
    list += cm.dump() + ",";
  }
  list += R"({"metadata": {"name": "leftover", "namespace": "dev", "labels": {")" + std::string(kManagedByLabel) +
          R"(": "warren"}}}]})";
  InMemoryFileTree tree;
  tree.Add("live.json", list);
  LoadOptions defer;
  defer.defer_list_items_above = 0;
  auto deferred = LoadManifests(tree, {"live.json"}, defer);
  auto whole = LoadManifests(tree, {"live.json"});
  ASSERT_TRUE(deferred.ok() && whole.ok());
  ASSERT_TRUE(deferred.value()[0].deferred());
  DiffReport from_text = Diff(desired, deferred.value());
  DiffReport from_trees = Diff(desired, whole.value());
  EXPECT_EQ(ToJson(from_text).dump(), ToJson(from_trees).dump());
  EXPECT_EQ(from_text.objects[4].action, Action::kUpdate);
  EXPECT_EQ(from_text.objects.back().action, Action::kPrune) << "the labelled leftover, read to see its labels";
  for (const Object& o : deferred.value()) EXPECT_TRUE(o.deferred()) << o.key().ToString();
}

}  // namespace
}  // namespace warren::diff
