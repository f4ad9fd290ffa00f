// The fast YAML reader against yaml-cpp: on every YAML file in the repository and the live
// fixtures, and on tricky snippets, it either gives up or produces exactly what the yaml-cpp path
// produces (values and document locations).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "diff/model/decode.h"
#include "diff/model/fast_yaml.h"

namespace warren {
namespace {

namespace fs = std::filesystem;

// Returns true when the fast reader handled `text`; fails the test if it disagrees with yaml-cpp.
bool SameAsYamlCpp(const std::string& text, const std::string& name) {
  DecodeOptions slow_options;
  slow_options.disable_fast_path = true;
  auto slow = DecodeYaml(text, name, slow_options);
  // DecodeYaml checks characters and leading commas before either reader runs.
  if (!CheckYamlCharacters(text, name).ok() || !CheckLeadingCommas(text, name).ok()) return false;
  auto fast = FastDecodeYaml(text, slow_options.max_depth);
  // Read in parts (split at --- lines, on every core) whatever its size: the same documents.
  auto parts = FastDecodeYaml(text, slow_options.max_depth, /*split_above=*/0);
  EXPECT_EQ(fast.has_value(), parts.has_value()) << name;
  if (fast && parts) {
    EXPECT_EQ(fast->size(), parts->size()) << name;
    for (size_t i = 0; i < std::min(fast->size(), parts->size()); ++i) {
      EXPECT_EQ((*fast)[i].value, (*parts)[i].value) << name << " document " << i;
      EXPECT_EQ((*fast)[i].line, (*parts)[i].line) << name << " document " << i;
    }
  }
  if (!fast) return false;
  EXPECT_TRUE(slow.ok()) << name << ": the fast reader accepted what yaml-cpp rejects: " << slow.status().message();
  if (!slow.ok()) return true;
  EXPECT_EQ(fast->size(), slow.value().size()) << name;
  for (size_t i = 0; i < std::min(fast->size(), slow.value().size()); ++i) {
    EXPECT_EQ((*fast)[i].value, slow.value()[i].value) << name << " document " << i;
    if (!slow.value()[i].value.is_null()) {
      EXPECT_EQ((*fast)[i].line, slow.value()[i].where.line) << name << " document " << i;
      EXPECT_EQ((*fast)[i].column, slow.value()[i].where.column) << name << " document " << i;
    }
  }
  return true;
}

TEST(FastYaml, SplitsAtDocumentMarkersOnly) {
  const std::string text = "a: 1\n---\nb: 2\n--- # c\nc: ---\n---x: 3\n  ---\n---\n";
  EXPECT_EQ(SplitAtDocuments(text, 1), (std::vector<size_t>{0}));
  // The first marker line from the line holding each share's first byte on: never "c: ---",
  // "---x" or an indented one, never the same twice (fewer parts then).
  EXPECT_EQ(SplitAtDocuments(text, 2), (std::vector<size_t>{0, text.rfind("---\n")}));
  EXPECT_EQ(SplitAtDocuments(text, 4), (std::vector<size_t>{0, text.find("--- # c"), text.rfind("---\n")}));
  EXPECT_EQ(SplitAtDocuments("a: 1\nb: 2\n", 2), (std::vector<size_t>{0})) << "no marker: one part";

  // Documents and their lines as one reading, in order.
  std::string many;
  for (int i = 0; i < 200; ++i) many += "---\nkind: K\nmetadata: {name: n" + std::to_string(i) + "}\n";
  auto whole = FastDecodeYaml(many, 100, many.size());
  auto parts = FastDecodeYaml(many, 100, 0);
  ASSERT_TRUE(whole && parts);
  ASSERT_EQ(parts->size(), 200u);
  for (size_t i = 0; i < 200; ++i) {
    EXPECT_EQ((*parts)[i].value, (*whole)[i].value);
    EXPECT_EQ((*parts)[i].line, static_cast<int>(3 * i + 1));
  }
  EXPECT_FALSE(FastDecodeYaml(many + "---\nx: |\n  block\n", 100, 0).has_value()) << "a part gives up: all do";
}

TEST(FastYaml, AgreesWithYamlCppOnEveryRepositoryFile) {
  int handled = 0, total = 0;
  for (const char* root : {"/manifests", "/tests", "/deploy"}) {
    fs::path dir = fs::path(WARREN_SOURCE_DIR) / std::string(root).substr(1);
    if (!fs::exists(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      std::string ext = e.path().extension().string();
      if (ext != ".yaml" && ext != ".yml") continue;
      std::ifstream in(e.path());
      std::stringstream s;
      s << in.rdbuf();
      ++total;
      handled += SameAsYamlCpp(s.str(), e.path().string());
    }
  }
  fs::path fixtures = fs::path(WARREN_SOURCE_DIR) / "tests/fixtures/live-fixtures";
  for (const auto& e : fs::directory_iterator(fixtures)) {
    if (e.path().extension() != ".yaml") continue;
    std::ifstream in(e.path());
    std::stringstream s;
    s << in.rdbuf();
    ++total;
    handled += SameAsYamlCpp(s.str(), e.path().string());
  }
  EXPECT_GT(total, 30);
  EXPECT_GT(handled * 2, total) << "the fast reader should take most manifests (" << handled << " of " << total << ")";
}

TEST(FastYaml, AgreesOnTheSubsetItReads) {
  const char* cases[] = {
      "a: 1\nb: two\nc: 3.5\nd: true\ne: null\nf: ~\ng:\n",
      "flags: [y, n, on, off, yes, No, TRUE]\nmode: 0644\nhex: 0x1F\ndate: 2024-01-02\n",
      "k: 'it''s'\nq: \"tab\\there \\u00e9 \\\"x\\\"\"\nempty: ''\nhash: \"a # not a comment\"\n",
      "url: http://x:8080/a  # a comment\nport: \"5672\"\n\"quoted key\": 1\n'single': 2\n",
      "m: {a: 1, b: [x, y], c: {d: e}, url: http://h:1/p, empty: {}, none: []}\n",
      "# leading comment\n---\napiVersion: v1\nkind: List\nitems:\n- a: 1\n  b:\n  - x\n  - y\n- c: 2\n---\n- 1\n- 2\n",
      "root:\n  list:\n  - name: a\n    ports:\n    - {containerPort: 5672, name: amqp}\n    - containerPort: 15672\n  "
      "after: 1\n",
      "---\n---\na: 1\n",
      "a: 1\n---\n",
      "  indented: 1\n  also: 2\n",
      "seq:\n-   spaced: 1\n    next: 2\n- plain\n-\n  nested: 3\n",
      "k8s: {app.kubernetes.io/name: rabbitmq, 'x': \"y\"}\nn: -1\nf: -2.5e3\nu: 1_000\n",
      "1: one\ntrue: yes\nnull: nothing\n",
      "c: [\"p # q\", r] # e\nd: \"x # y\" # z\n",  // a '#' inside quotes, then a comment
      "- \"z # f\" # g\n- {k: 'v # w'} # h\n",
  };
  for (const char* c : cases) EXPECT_TRUE(SameAsYamlCpp(c, c)) << "expected the fast reader to take:\n" << c;
}

TEST(FastYaml, GivesUpOnWhatItDoesNotRead) {
  const char* cases[] = {
      "a: &x 1\nb: *x\n",                  // anchors and aliases
      "a: !!str 1\n",                      // tags
      "base: {a: 1}\nm:\n  <<: {b: 2}\n",  // merge keys
      "data: |\n  line 1\n  line 2\n",     // block scalars
      "a: first line\n  continued\n",      // multi-line plain scalar
      "a: 1\na: 2\n",                      // duplicate keys (yaml-cpp's path reports them)
      "a:\n\t- 1\n",                       // tabs
      "%YAML 1.1\n---\na: 1\n",            // directives
      "? complex\n: key\n",                // complex keys
      "a: [1, 2,\n  3]\n",                 // multi-line flow
      "- - nested\n",                      // compact nested sequence
      "a: b: c\n",                         // not YAML
      "a: .inf\n",                         // no JSON form: the slow path explains
      "a: \"\\N\"\n",                      // rarer escapes
      "a: 1\n...\n",                       // document end marker
      "a: value ends with:\n",             // a final ':' is a mapping indicator, not text
      "a:\n:\ne:\n",                       // an empty key (found by fuzzing)
      "s\r",                               // a carriage return that ends no line (found by fuzzing)
      "b: [:{]\n",                         // flow indicators inside a flow scalar (found by fuzzing)
      "tags: [mana?ement]\n",              // "?" in a flow scalar, which yaml-cpp refuses (found by fuzzing)
      // A quote inside a plain scalar, then a comment: where the scalar ends is yaml-cpp's call
      // (it was read as a quote opening, the comment as text; found by fuzzing).
      "a: e \"x # c\n",
      "b: it's 'y # d\n",
      "s: tagesp!ce:,,  \"dev #\n",
  };
  for (const char* c : cases) EXPECT_FALSE(FastDecodeYaml(c, 100).has_value()) << c;
}

// Found by fuzzing: the fast reader must never accept what yaml-cpp rejects.
TEST(FastYaml, NeverAcceptsWhatYamlCppRejects) {
  const char* cases[] = {
      "metadata:\n  namespace: e \"dev\", which does not exist:\n  name: x\n",
      "a: x:\nb: 1\n",
  };
  for (const char* c : cases) {
    DecodeOptions slow_options;
    slow_options.disable_fast_path = true;
    EXPECT_FALSE(DecodeYaml(c, "case.yaml", slow_options).ok()) << c;
    EXPECT_FALSE(FastDecodeYaml(c, 100).has_value()) << c;
    EXPECT_FALSE(DecodeYaml(c, "case.yaml").ok()) << c;
  }
}

TEST(FastYaml, DecodeYamlUsesItAndStillReportsErrorsPrecisely) {
  auto docs = DecodeYaml("a: 1\na: 2\n", "dup.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("dup.yaml:2:1: duplicate key \"a\""), std::string::npos)
      << docs.status().message();
  auto ok = DecodeYaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "cm.yaml");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value()[0].where.ToString(), "cm.yaml:1:1");
}

}  // namespace
}  // namespace warren
