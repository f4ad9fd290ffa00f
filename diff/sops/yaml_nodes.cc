#include "diff/sops/yaml_nodes.h"

#include <optional>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include "diff/model/decode.h"
#include "diff/model/source_location.h"

namespace warren::sops {
namespace {

struct LoadAbort {
  Status status;
};

std::string Where(const std::string& file, const YAML::Mark& m) {
  return SourceLocation{file, m.line + 1, m.column + 1}.ToString();
}

// Builds one node tree per document from parser events, as yaml-cpp's own (private) NodeBuilder.
class NodeTreeBuilder : public YAML::EventHandler {
 public:
  explicit NodeTreeBuilder(const std::string& file) : file_(file) {}

  YAML::Node TakeDocument() {
    YAML::Node root = root_ ? *root_ : YAML::Node();
    root_.reset();
    anchors_.clear();
    return root;
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    // Two documents starting at one place: yaml-cpp made no progress and would go on forever.
    if (mark.pos == last_start_pos_) throw LoadAbort{Status::Invalid(Where(file_, mark) + ": " + kYamlNoProgress)};
    last_start_pos_ = mark.pos;
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { Add(YAML::Node(YAML::NodeType::Null), anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw LoadAbort{Status::Invalid(Where(file_, mark) + ": alias to an unknown anchor")};
    Add(it->second, YAML::NullAnchor);
  }
  void OnScalar(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    YAML::Node n(value);
    n.SetTag(tag);
    Add(n, anchor);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    Open(YAML::NodeType::Sequence, tag, anchor, style);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    Open(YAML::NodeType::Map, tag, anchor, style);
  }
  void OnMapEnd() override { Close(); }

 private:
  // Nodes are only ever copy-constructed here, never assigned: assigning a YAML::Node that
  // already refers to a node makes that node a reference to the other, changing every handle.
  struct Frame {
    YAML::Node node;
    std::optional<YAML::Node> key;  // a mapping's key waiting for its value
  };

  void Open(YAML::NodeType::value type, const std::string& tag, YAML::anchor_t anchor,
            YAML::EmitterStyle::value style) {
    YAML::Node n(type);
    n.SetTag(tag);
    n.SetStyle(style);
    if (anchor != YAML::NullAnchor) anchors_.emplace(anchor, n);  // an alias inside refers to the open node
    stack_.push_back(Frame{n, std::nullopt});
  }
  void Close() {
    YAML::Node done = stack_.back().node;
    stack_.pop_back();
    Add(done, YAML::NullAnchor);
  }
  // Places a finished node into the open collection, or makes it the document.
  void Add(const YAML::Node& n, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) anchors_.emplace(anchor, n);
    if (stack_.empty()) {
      root_.emplace(n);
      return;
    }
    Frame& f = stack_.back();
    if (f.node.IsSequence()) {
      f.node.push_back(n);
    } else if (!f.key) {
      f.key.emplace(n);
    } else {
      f.node.force_insert(*f.key, n);  // keeps duplicates, as LoadAll does, for the caller to refuse
      f.key.reset();
    }
  }

  std::string file_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, YAML::Node> anchors_;
  std::optional<YAML::Node> root_;
  int last_start_pos_ = -1;
};

}  // namespace

Result<std::vector<YAML::Node>> LoadYamlNodes(std::string_view text, const std::string& file) {
  std::istringstream in{std::string(text)};
  NodeTreeBuilder builder(file);
  std::vector<YAML::Node> docs;
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) docs.push_back(builder.TakeDocument());
  } catch (const LoadAbort& abort) {
    return abort.status;
  } catch (const YAML::Exception& e) {
    return Status::Invalid(Where(file, e.mark) + ": " + e.msg);
  }
  return docs;
}

}  // namespace warren::sops
