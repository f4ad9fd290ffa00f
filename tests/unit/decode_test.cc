#include "diff/model/decode.h"
#include "diff/model/fast_json.h"
#include "diff/model/fast_yaml.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace warren {
namespace {

Json DecodeOne(const std::string& yaml) {
  auto docs = DecodeYaml(yaml, "t.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().message();
  if (!docs.ok() || docs.value().empty()) return Json();
  return docs.value()[0].value;
}

TEST(ResolvePlainScalar, Yaml11AsKubernetesReadsIt) {
  struct Case {
    const char* text;
    Json want;
  } cases[] = {
      {"yes", true},        {"Yes", true},
      {"on", true},         {"ON", true},
      {"y", true},          {"true", true},
      {"no", false},        {"off", false},
      {"n", false},         {"False", false},
      {"~", nullptr},       {"null", nullptr},
      {"", nullptr},        {"42", 42},
      {"-7", -7},           {"+3", 3},
      {"0644", 420},        {"0o17", 15},
      {"0x1F", 31},         {"0b101", 5},
      {"1_000", 1000},      {"1.5", 1.5},
      {".5", 0.5},          {"1e3", 1000.0},
      {"08", 8.0},          {"2024-01-31", "2024-01-31T00:00:00Z"},
      {"1.2.3", "1.2.3"},   {"-", "-"},
      {"rabbit", "rabbit"}, {"0x", "0x"},
      {"512Mi", "512Mi"},
  };
  for (const auto& c : cases) EXPECT_EQ(ResolvePlainScalar(c.text), c.want) << c.text;
}

TEST(DecodeYaml, QuotedAndBlockScalarsStayStrings) {
  Json v = DecodeOne("a: 'yes'\nb: \"10\"\nc: |\n  on\nd: >\n  42\ne: !!str true\n");
  EXPECT_EQ(v["a"], "yes");
  EXPECT_EQ(v["b"], "10");
  EXPECT_EQ(v["c"], "on\n");
  EXPECT_EQ(v["d"], "42\n");
  EXPECT_EQ(v["e"], "true");
}

TEST(DecodeYaml, NonStringKeysBecomeStrings) {
  Json v = DecodeOne("on: push\n1: one\n");
  EXPECT_EQ(v["true"], "push");
  EXPECT_EQ(v["1"], "one");
}

TEST(DecodeYaml, MergeKeysAndAliases) {
  Json v = DecodeOne("base: &b {x: 1, z: 2}\nderived:\n  <<: *b\n  z: 3\nlist: [*b, *b]\n");
  EXPECT_EQ(v["derived"], Json({{"x", 1}, {"z", 3}}));
  // go-yaml v2 resolves a plain `y` as a boolean, even as a key.
  EXPECT_EQ(DecodeOne("y: 1\n"), Json({{"true", 1}}));
  EXPECT_EQ(v["list"][1]["x"], 1);
}

TEST(DecodeYaml, MultipleDocumentsWithLocations) {
  auto docs = DecodeYaml("# c\na: 1\n---\n---\nb: 2\n", "m.yaml");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs.value().size(), 3u);
  EXPECT_TRUE(docs.value()[1].value.is_null());
  EXPECT_EQ(docs.value()[2].where.line, 4);  // its "---" marker
}

TEST(DecodeYaml, RecordsPositionsByPointer) {
  DecodeOptions o;
  o.record_positions = true;
  auto docs = DecodeYaml("spec:\n  list:\n  - name: a\n    value: b\n", "p.yaml", o);
  ASSERT_TRUE(docs.ok());
  const PositionIndex& pos = *docs.value()[0].positions;
  EXPECT_EQ(pos.at("/spec/list/0/value").line, 4);
  EXPECT_EQ(pos.at("/spec/list/0/value").column, 12);
}

TEST(DecodeYaml, BadInputNamesFileLineAndColumn) {
  struct Case {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"a: [1, 2\n", "bad.yaml:"},
      {"a: 1\na: 2\n", "bad.yaml:2:1: duplicate key \"a\""},
      {"a: *nope\n", "bad.yaml:1:4:"},
      {"a: .inf\n", "has no JSON form"},
      {"? [a, b]\n: c\n", "a mapping key must be a scalar"},
      {"a: !!int abc\n", "cannot decode \"abc\" as !!int"},
      {"<<: 5\n", "merge key"},
      {"a:\n  - b\n - c\n", "bad.yaml:"},
  };
  for (const auto& c : cases) {
    auto r = DecodeYaml(c.yaml, "bad.yaml");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().message();
  }
}

// What Kubernetes' YAML reader refuses, refused before either parser sees it (fuzzing found the
// fast reader keeping a NUL that yaml-cpp turned into another character).
TEST(DecodeYaml, ControlCharactersInvalidUtf8AndInnerByteOrderMarksAreRefused) {
  struct Case {
    std::string text, message;
  };
  const Case cases[] = {
      {std::string("metadata:\n  labels:\n    \x01") + '\0' + "app: x\n",
       "in.yaml:3:5: control character U+0001 is not allowed"},
      {"a: b\x7f\n", "in.yaml:1:5: control character U+007F is not allowed"},
      {"a: \xC3\x28\n", "in.yaml:1:4: invalid UTF-8"},
      {"a: \xE2\x82\n", "in.yaml:1:4: invalid UTF-8"},      // truncated
      {"a: \xC0\xAF\n", "in.yaml:1:4: invalid UTF-8"},      // overlong "/"
      {"a: \xED\xA0\x80\n", "in.yaml:1:4: invalid UTF-8"},  // a surrogate
      {"a: 1\nb: \xEF\xBB\xBFx\n", "in.yaml:2:4: a byte-order mark inside the document is not allowed"},
  };
  for (const Case& c : cases) {
    for (bool fast : {true, false}) {
      DecodeOptions o;
      o.disable_fast_path = !fast;
      auto r = DecodeYaml(c.text, "in.yaml", o);
      ASSERT_FALSE(r.ok()) << c.message;
      EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
    }
  }
  auto json = DecodeJson("{\"a\":\n \"x\x01\"}", "in.json");
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("in.json:2:4: control character U+0001"), std::string::npos)
      << json.status().message();
  // Allowed: a byte-order mark at the start, tabs, CR LF, and any printable Unicode.
  auto bom = DecodeYaml(
      "\xEF\xBB\xBF"
      "a: caf\xC3\xA9\t\xF0\x9F\x90\x87\r\nb: 2\r\n",
      "bom.yaml");
  ASSERT_TRUE(bom.ok()) << bom.status().message();
  EXPECT_EQ(bom.value()[0].value, Json({{"a", "caf\xC3\xA9\t\xF0\x9F\x90\x87"}, {"b", 2}}));
  auto bom_json = DecodeJson(
      "\xEF\xBB\xBF"
      "{\"a\": 1}",
      "bom.json");
  ASSERT_TRUE(bom_json.ok()) << bom_json.status().message();
}

// yaml-cpp 0.7 allocates without end on a top-level ',' (found by fuzzing): refused up front,
// while commas inside flow collections, block scalars and quotes still read.
TEST(DecodeYaml, LeadingCommaOutsideFlowIsRefusedBeforeYamlCpp) {
  for (const char* bad : {",",
                          "- a\n,",
                          "a: 1\n---\n,x",
                          "# c\n  ,",
                          "\"x\"\n,",
                          "\"\",",
                          "'x',",
                          "[a],",
                          "{a: 1} ,",
                          "a: ! ,x",
                          "- &x ,",
                          "a: ,b",
                          "\"kind:\" \"Role\",",
                          "a: k:{\"x\n! ,y\"\n",
                          "!\"x\",",
                          "a: !!str\"x\" ,",
                          "- !a!b[1],",
                          "!<tag:x>\"y\",",
                          "!\"ref\",\n \"repository\": {}\n",
                          "a: 5 - ,\n"}) {  // the fast reader would take this one: the check comes first
    auto r = DecodeYaml(bad, "c.yaml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(
        r.status().message().find("',' outside [ ] or { } cannot begin a line or follow a quoted or bracketed value"),
        std::string::npos)
        << r.status().message();
  }
  auto where = DecodeYaml("a: 1\n  ,b\n", "c.yaml");
  ASSERT_FALSE(where.ok());
  EXPECT_EQ(where.status().message().substr(0, 11), "c.yaml:2:3:") << where.status().message();
  for (const char* ok : {"a: [1\n  ,2]\n", "a: {x: 1\n  , y: 2}\n", "a: |\n  ,not a token\nb: 1\n", "a: >-\n  ,x\n",
                         "a: \"one\n  ,two\"\n", "a: b, c\n", "a: b[1], c\n", "a: it's, fine\n", "- \"x\"\n- y, z\n",
                         "a: !!str x, y\n", "a: b!\"c\", d\n", "a: !!str \"x\"\n"}) {
    auto r = DecodeYaml(ok, "c.yaml");
    EXPECT_TRUE(r.ok()) << ok << ": " << r.status().message();
  }
}

// The net under CheckLeadingCommas: should a ',' get past it (the fuzzer found `!"x",` once),
// yaml-cpp's stall is an error naming the place, not a loop that allocates until killed.
TEST(DecodeYaml, ParserStallIsAnErrorNotALoop) {
  DecodeOptions unchecked;
  unchecked.skip_comma_check = true;
  unchecked.disable_fast_path = true;
  for (const char* bad : {",", "\"x\"\n,", "'x',", "[a],", "a: 1\n---\n,x", "!\"x\","}) {
    auto r = DecodeYaml(bad, "c.yaml", unchecked);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), ::testing::MatchesRegex("c\\.yaml:[0-9]+:[0-9]+: .*")) << bad;
  }
  auto stall = DecodeYaml("\"x\"\n,\n", "c.yaml", unchecked);
  ASSERT_FALSE(stall.ok());
  EXPECT_EQ(stall.status().message(),
            "c.yaml:2:1: the YAML parser made no progress here (yaml-cpp 0.7 cannot read this token where a node "
            "begins); quote the value");
}

TEST(DecodeYaml, AliasBombFailsFastWithLimitError) {
  // Build a proper billion-laughs: each level lists the previous anchor nine times.
  std::string bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string refs;
    for (int i = 0; i < 9; ++i) refs += std::string(i ? "," : "") + "*" + prev;
    bomb += std::string(1, c) + ": &" + c + " [" + refs + "]\n";
    prev = c;
  }
  auto r = DecodeYaml(bomb, "bomb.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(r.status().message().find("alias"), std::string::npos) << r.status().message();
}

TEST(DecodeYaml, DeepNestingIsRefused) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "[";
  auto r = DecodeYaml(deep, "deep.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("deep.yaml:1:"), std::string::npos) << r.status().message();
  std::string block;
  for (int i = 0; i < 150; ++i) block += std::string(i * 2, ' ') + "k:\n";
  r = DecodeYaml(block, "deep.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesting deeper than 100"), std::string::npos);
}

TEST(DecodeYaml, OversizedInputIsRefusedBeforeParsing) {
  DecodeOptions o;
  o.max_bytes = 10;
  auto r = DecodeYaml("a: 0123456789\n", "big.yaml", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
}

TEST(DecodeJson, ErrorsCarryLineAndColumn) {
  auto r = DecodeJson("{\n  \"a\": 1,\n  \"b\": ]\n}", "x.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("x.json:3:"), std::string::npos) << r.status().message();
  std::string deep(1000, '[');
  r = DecodeJson(deep + std::string(1000, ']'), "d.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
}

// The tree is built from parser events (objects sorted once when they close): the result must be
// Json::parse's, key for key, including a key given twice (the last wins) and deep nesting just
// inside the limit.
TEST(DecodeJson, BuildsWhatJsonParseBuilds) {
  const std::string text =
      R"({"kind": "List", "items": [{"z": 1, "a": {"y": [true, null, 1.5, -2, 18446744073709551615]}, "m": "x"},)"
      R"( {"b": 1, "a": 2, "b": 3, "a": 4}, {}, [], "s"], "apiVersion": "v1", "emptyKey": {"": 0}})";
  auto r = DecodeJson(text, "list.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().value, Json::parse(text));
  EXPECT_EQ(r.value().value["items"][1], Json({{"a", 4}, {"b", 3}}));
  EXPECT_EQ(r.value().value.dump(), Json::parse(text).dump());

  DecodeOptions o;
  o.max_depth = 3;
  EXPECT_TRUE(DecodeJson("[[[1]]]", "ok.json", o).ok());
  EXPECT_TRUE(DecodeJson(R"({"a":{"b":{"c":{}}}})", "ok.json", o).ok());
  auto deep = DecodeJson("[[[[1]]]]", "deep.json", o);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kLimitExceeded);

  auto huge = DecodeJson("{\"a\": 1e999}", "huge.json");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("huge.json:1:"), std::string::npos) << huge.status().message();
  EXPECT_NE(huge.status().message().find("number overflow"), std::string::npos) << huge.status().message();
  auto trailing = DecodeJson("{} x", "trailing.json");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("trailing.json:1:4: invalid JSON: syntax error"), std::string::npos)
      << trailing.status().message();
}

// Every object and array the fast readers make holds no spare room: 10,000 live objects are
// millions of them, and a container grown entry by entry is up to twice its size.
bool ExactlySized(const Json& v) {
  if (v.is_object()) {
    const auto& m = v.get_ref<const Json::object_t&>();
    return m.capacity() == m.size() &&
           std::all_of(m.begin(), m.end(), [](const auto& e) { return ExactlySized(e.second); });
  }
  if (v.is_array()) {
    const auto& a = v.get_ref<const Json::array_t&>();
    return a.capacity() == a.size() && std::all_of(a.begin(), a.end(), ExactlySized);
  }
  return true;
}

TEST(FastReaders, MakeEachObjectAndArrayAtItsExactSize) {
  auto json = FastDecodeJson(R"({"e": [1, 2, 3, 4, 5], "d": {"c": 1, "b": 2, "a": 3, "z": [[], {}, [1, 2, 3]]}})", 100);
  ASSERT_TRUE(json.has_value());
  EXPECT_TRUE(ExactlySized(*json));
  EXPECT_EQ(json->dump(), R"({"d":{"a":3,"b":2,"c":1,"z":[[],{},[1,2,3]]},"e":[1,2,3,4,5]})");
  auto yaml = FastDecodeYaml(
      "e: [1, 2, 3, 4, 5]\nd:\n  c: 1\n  b: {v: 2, x: 1, w: [a, b, c]}\n  a:\n  - 1\n  - 2\n  - 3\n", 100);
  ASSERT_TRUE(yaml.has_value());
  ASSERT_EQ(yaml->size(), 1u);
  EXPECT_TRUE(ExactlySized((*yaml)[0].value));
  EXPECT_EQ((*yaml)[0].value.dump(),
            R"({"d":{"a":[1,2,3],"b":{"v":2,"w":["a","b","c"],"x":1},"c":1},"e":[1,2,3,4,5]})");
}

// A List skimmed: its items' identities made, the rest of each item only checked and spanned.
TEST(FastSkimJsonList, HeadsAndSpansOfTheItemsOfAList) {
  const std::string text = R"( {"kind": "List", "items": [
    {"spec": {"x": [1, {"y": "\u00e9"}]}, "kind": "A", "metadata": {"labels": {"a": "b"}, "name": "n", "namespace": 7}},
    "not an object",
    {"apiVersion": {"odd": true}, "metadata": "m"}
  ], "apiVersion": "v1"} )";
  auto skimmed = FastSkimJsonList(text, 100);
  auto full = FastDecodeJson(text, 100);
  ASSERT_TRUE(skimmed && full);
  EXPECT_EQ(skimmed->list.dump(),
            R"({"apiVersion":"v1","items":[{"kind":"A","metadata":{"name":"n","namespace":7}},"not an object",)"
            R"({"apiVersion":{"odd":true},"metadata":"m"}],"kind":"List"})");
  ASSERT_EQ(skimmed->items.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(ParseJson(std::string_view(text).substr(skimmed->items[i].offset, skimmed->items[i].size)),
              (*full)["items"][i]);

  // Of two `items` the last stays, as in the parser; other documents are made whole.
  auto twice = FastSkimJsonList(R"({"items": [{"a": 1}], "items": [{"b": 2}, {"c": 3}]})", 100);
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(twice->list.dump(), R"({"items":[{},{}]})");
  EXPECT_EQ(twice->items.size(), 2u);
  auto replaced = FastSkimJsonList(R"({"items": [{"a": 1}], "items": null})", 100);
  ASSERT_TRUE(replaced.has_value());
  EXPECT_TRUE(replaced->items.empty());
  for (const char* doc : {R"([{"items": [1]}])", R"({"x": {"items": [{"a": 1}]}})", "5"}) {
    auto other = FastSkimJsonList(doc, 100);
    ASSERT_TRUE(other.has_value()) << doc;
    EXPECT_EQ(other->list, *FastDecodeJson(doc, 100)) << doc;
    EXPECT_TRUE(other->items.empty());
  }
}

// The fast reader reads what it accepts exactly as nlohmann's parser does (types included), and
// gives up, leaving the error to nlohmann's parser, on what it is not sure of.
TEST(FastDecodeJson, SameTreesAsTheParserOrGivesUp) {
  DecodeOptions slow;
  slow.disable_fast_path = true;
  for (const char* text :
       {R"({"b": 1, "a": [true, false, null], "b": {"x": -0, "y": 0.5e-3, "z": 18446744073709551615}})",
        R"({"w": 18446744073709551616, "v": -9223372036854775809, "u": -9223372036854775808, "t": 1E+2})",
        R"({"s": "\u00e9\ud83d\udc07 \"q\" \\ \/ \b\f\n\r\t", "k\u0000": "nul", "": ""})", " [ ] ", "7", "\"x\""}) {
    auto fast = FastDecodeJson(text, 100);
    ASSERT_TRUE(fast.has_value()) << text;
    auto parsed = DecodeJson(text, "t.json", slow);
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(fast->dump(), parsed.value().value.dump()) << text;
    EXPECT_EQ(*fast, parsed.value().value) << text;
  }
  auto types = FastDecodeJson(R"([5, -5, 5.0])", 100);
  ASSERT_TRUE(types.has_value());
  EXPECT_TRUE((*types)[0].is_number_unsigned());
  EXPECT_TRUE((*types)[1].is_number_integer() && !(*types)[1].is_number_unsigned());
  EXPECT_TRUE((*types)[2].is_number_float());

  for (const char* text : {"", "{", R"({"a" 1})", R"({"a": 1,})", "[1,]", "01", "1.", "-", "1e", R"(["\ud800"])",
                           R"(["\udc00"])", R"(["\x"])", "[1e999]", "tru", "{} x", "\"a\tb\"", "[[[1]]]"}) {
    EXPECT_FALSE(FastDecodeJson(text, 2).has_value()) << text;
  }
  for (const char* text :
       {"", "{", R"({"items": [{"a": 1},]})", R"({"items": [["\ud800"]]})", "[[[1]]]", R"({"items": [[[1]]]})"})
    EXPECT_FALSE(FastSkimJsonList(text, 2).has_value()) << text;
  auto lone = DecodeJson(R"(["\ud800"])", "lone.json");
  ASSERT_FALSE(lone.ok());
  EXPECT_NE(lone.status().message().find("lone.json:1:"), std::string::npos) << lone.status().message();
}

}  // namespace
}  // namespace warren
