// The only file that includes yaml-cpp. It drives yaml-cpp's event parser and builds JSON values
// directly (the node API is about 2.5x slower and hides alias sharing, which we must count).
#include "diff/model/decode.h"

#include "diff/model/escapes.h"
#include "diff/model/fast_json.h"
#include "diff/model/fast_yaml.h"
#include "diff/model/json_tree_builder.h"
#include "diff/model/yaml_scalar.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace warren {
namespace {

constexpr const char* kTagPrefix = "tag:yaml.org,2002:";

// Thrown from inside the event handler to abandon a parse; caught in DecodeYaml.
struct DecodeAbort {
  Status status;
};

std::string Where(const std::string& file, const YAML::Mark& m) {
  return SourceLocation{file, m.line + 1, m.column + 1}.ToString();
}

// Builds one JSON value per document from parser events.
class JsonBuilder : public YAML::EventHandler {
 public:
  JsonBuilder(const std::string& file, const DecodeOptions& options) : file_(file), options_(options) {}

  // Resets per-document state; returns the finished document.
  Document TakeDocument() {
    Document d{std::move(root_), start_, nullptr};
    if (options_.record_positions) d.positions = std::make_shared<PositionIndex>(std::move(positions_));
    root_ = Json();
    positions_.clear();
    anchors_.clear();
    nodes_ = 0;
    return d;
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp 0.7 can stop consuming input and report one empty document after another (a ','
    // where a block node begins). Two documents starting at one place mean exactly that.
    if (mark.pos == last_start_pos_) Fail(mark, kYamlNoProgress);
    last_start_pos_ = mark.pos;
    start_ = SourceLocation{file_, mark.line + 1, mark.column + 1};
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // Counted like any node: fuzzing found input on which yaml-cpp emits nulls without end.
    Count(mark, 1);
    Emit(Json(nullptr), mark, anchor, 1, false);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) Fail(mark, "alias to an unknown anchor");
    Count(mark, it->second.nodes);
    Emit(it->second.value, mark, YAML::NullAnchor, it->second.nodes, false);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Count(mark, 1);
    Json v = Resolve(mark, tag, value);
    bool plain_merge = (tag == "?" && value == "<<");
    Emit(std::move(v), mark, anchor, 1, plain_merge);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Push(mark, anchor, Json::array());
  }
  void OnSequenceEnd() override { Pop(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Push(mark, anchor, Json::object());
  }
  void OnMapEnd() override {
    Frame& f = stack_.back();
    // Merge keys: explicit keys win over merged ones; earlier merges win over later ones.
    for (const Json& m : f.merges)
      for (auto it = m.begin(); it != m.end(); ++it)
        if (!f.value.contains(it.key())) f.value[it.key()] = it.value();
    Pop();
  }

 private:
  struct Frame {
    Json value;
    YAML::Mark mark;
    YAML::anchor_t anchor = YAML::NullAnchor;
    size_t nodes = 1;
    bool have_key = false;
    bool key_is_merge = false;
    std::string key;
    std::string pointer;  // only with record_positions
    std::vector<Json> merges;
  };
  struct Anchored {
    Json value;
    size_t nodes;
  };

  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& what) {
    throw DecodeAbort{Status::Invalid(Where(file_, mark) + ": " + what)};
  }

  void Count(const YAML::Mark& mark, size_t n) {
    nodes_ += n;
    if (nodes_ > options_.max_nodes) {
      throw DecodeAbort{Status::Limit(Where(file_, mark) + ": document expands to more than " +
                                      std::to_string(options_.max_nodes) + " nodes (alias expansion bomb?)")};
    }
  }

  Json Resolve(const YAML::Mark& mark, const std::string& tag, const std::string& value) {
    if (tag == "!") return value;  // quoted or block scalar: always a string
    Json v;
    if (tag == "?") {
      v = ResolvePlainScalar(value);
    } else if (tag.rfind(kTagPrefix, 0) == 0) {
      std::string t = tag.substr(std::char_traits<char>::length(kTagPrefix));
      if (t == "str" || t == "binary" || t == "timestamp") return value;
      v = ResolvePlainScalar(value);
      bool fits = (t == "int" && v.is_number_integer()) || (t == "float" && v.is_number()) ||
                  (t == "bool" && v.is_boolean()) || (t == "null" && v.is_null());
      if (!fits) Fail(mark, "cannot decode \"" + value + "\" as !!" + t);
    } else {
      v = ResolvePlainScalar(value);  // local tags (!foo) carry no meaning for Kubernetes
    }
    if (v.is_number_float() && !std::isfinite(v.get<double>()))
      Fail(mark, "\"" + value + "\" (infinity or NaN) has no JSON form");
    return v;
  }

  void Push(const YAML::Mark& mark, YAML::anchor_t anchor, Json empty) {
    Count(mark, 1);
    if (static_cast<int>(stack_.size()) >= options_.max_depth)
      Fail(mark, "nesting deeper than " + std::to_string(options_.max_depth) + " levels");
    Frame f;
    f.value = std::move(empty);
    f.mark = mark;
    f.anchor = anchor;
    if (options_.record_positions) f.pointer = ChildPointer();
    stack_.push_back(std::move(f));
  }

  void Pop() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    Emit(std::move(f.value), f.mark, f.anchor, f.nodes, false, /*pointer_known=*/true, f.pointer);
  }

  // The pointer of the node about to be attached to the top frame.
  std::string ChildPointer() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    if (top.value.is_array()) return top.pointer + "/" + std::to_string(top.value.size());
    if (top.have_key) return top.pointer + "/" + EscapePointerToken(top.key);
    return top.pointer;  // a key itself: recorded under its map
  }

  void Emit(Json v, const YAML::Mark& mark, YAML::anchor_t anchor, size_t nodes, bool plain_merge,
            bool pointer_known = false, const std::string& known = "") {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = Anchored{v, nodes};
    if (options_.record_positions) {
      std::string p = pointer_known ? known : ChildPointer();
      bool is_key = !stack_.empty() && stack_.back().value.is_object() && !stack_.back().have_key;
      if (!is_key) positions_.emplace(p, SourceLocation{file_, mark.line + 1, mark.column + 1});
    }
    if (stack_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& top = stack_.back();
    top.nodes += nodes;
    if (top.value.is_array()) {
      top.value.push_back(std::move(v));
      return;
    }
    if (!top.have_key) {
      if (v.is_object() || v.is_array()) Fail(mark, "a mapping key must be a scalar");
      top.key = MappingKeyString(v);
      top.key_is_merge = plain_merge;
      top.have_key = true;
      if (!top.key_is_merge && top.value.contains(top.key))
        Fail(mark, "duplicate key \"" + top.key + "\" in the mapping that starts at line " +
                       std::to_string(top.mark.line + 1));
      return;
    }
    top.have_key = false;
    if (top.key_is_merge) {
      if (v.is_object()) {
        top.merges.push_back(std::move(v));
      } else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_object(); })) {
        for (auto& e : v) top.merges.push_back(std::move(e));
      } else {
        Fail(mark, "a merge key (<<) needs a mapping or a list of mappings");
      }
      return;
    }
    top.value.emplace(std::move(top.key), std::move(v));
  }

  const std::string& file_;
  const DecodeOptions& options_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  PositionIndex positions_;
  Json root_;
  SourceLocation start_;
  int last_start_pos_ = -1;  // where the previous document began (yaml-cpp Mark::pos)
  size_t nodes_ = 0;
};

std::string TooLarge(const std::string& file, size_t size, size_t limit) {
  return file + ": " + std::to_string(size) + " bytes is more than the limit of " + std::to_string(limit) + " bytes";
}

// The characters YAML allows in a stream (as Kubernetes' reader, go-yaml, checks them): tab, line
// feed, carriage return, printable ASCII, NEL, and the rest of Unicode but for surrogates,
// U+FFFE/U+FFFF and a byte-order mark after the start.
bool Printable(uint32_t c) {
  return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF) || (c >= 0x10000 && c <= 0x10FFFF);
}

}  // namespace

Status CheckYamlCharacters(std::string_view text, const std::string& file) {
  const size_t begin = text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // a leading BOM is fine
  // Where text[at] is, counted only for an error: most text is printable ASCII, checked a byte at
  // a time without decoding.
  auto where = [&](size_t at) {
    int line = 1, column = 1;
    uint32_t c = 0;
    for (size_t i = begin; i < at; i += std::max<size_t>(1, Utf8At(text, i, &c))) {
      if (text[i] == '\n')
        ++line, column = 1;
      else
        ++column;
    }
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  };
  char hex[16];
  size_t i = begin;
  while (i < text.size()) {
    unsigned char b = static_cast<unsigned char>(text[i]);
    if ((b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t' || b == '\r') {
      ++i;
      continue;
    }
    uint32_t c = 0;
    size_t n = Utf8At(text, i, &c);
    if (n == 0) return Status::Invalid(where(i) + "invalid UTF-8 (Kubernetes reads manifests as UTF-8)");
    if (!Printable(c)) {
      if (c == 0xFEFF) return Status::Invalid(where(i) + "a byte-order mark inside the document is not allowed");
      snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(c));
      return Status::Invalid(where(i) + "control character " + hex +
                             " is not allowed (Kubernetes' YAML reader refuses it)");
    }
    i += n;
  }
  return Status::Ok();
}

namespace {

// The characters yaml-cpp 0.7 reads as part of a tag after its '!' (word characters and URI
// punctuation); '"' is not one of them, so in `!"x"` the tag is `!` and a quoted scalar follows.
bool IsTagChar(char c) {
  return isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-!#;/?:@&=+$,_.~*'()%").find(c) != std::string_view::npos;
}

// In `!<tag:x>` the '>' closes the verbatim tag opened by "!<" earlier on the line.
bool VerbatimTagOpen(std::string_view line, size_t i) {
  size_t open = line.rfind("!<", i);
  return open != std::string_view::npos && line.find('>', open) == i;
}

// True when `line` has a ',', a quote, a bracket or a block scalar's '|' or '>': what the
// comma check must read character by character (any other line leaves its state as it was).
bool HasCommaScanMark(std::string_view line) {
  static constexpr std::array<bool, 256> kMarks = [] {
    std::array<bool, 256> marks{};
    for (char c : std::string_view(",\"'[]{}|>")) marks[static_cast<unsigned char>(c)] = true;
    return marks;
  }();
  for (char c : line)
    if (kMarks[static_cast<unsigned char>(c)]) return true;
  return false;
}

}  // namespace

Status CheckLeadingCommas(std::string_view text, const std::string& file) {
  int flow = 0;                  // open [ and { that began a value
  char quote = 0;                // inside a quoted scalar (it may go on past the line)
  bool after_value = false;      // a quoted scalar or a flow collection ended at flow level 0, no ':' yet
  int block_scalar_indent = -1;  // inside a | or > block scalar opened on a line with this indent
  int line_no = 0;
  size_t pos = 0;
  auto refuse = [&](size_t column) {
    return Status::Invalid(file + ":" + std::to_string(line_no) + ":" + std::to_string(column + 1) +
                           ": ',' outside [ ] or { } cannot begin a line or follow a quoted or bracketed value "
                           "(the YAML parser, yaml-cpp 0.7, cannot read it); quote the value");
  };
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    size_t indent = line.find_first_not_of(" \t\r");
    if (indent == std::string_view::npos) continue;
    if (block_scalar_indent >= 0 && static_cast<int>(indent) > block_scalar_indent) continue;
    block_scalar_indent = -1;
    if (!quote) after_value = false;  // a new line is a new node (a ',' starting it is caught below)
    // Most lines have none of the characters that are refused or change what follows: skipped.
    if (!quote && !HasCommaScanMark(line.substr(indent))) continue;
    char prev = 0;           // the last character outside quotes, spaces skipped; 0 at the line's start
    bool in_tag = false;     // inside a tag ("!x", "!!str", "!<uri>"): yaml-cpp ends it at the first non-URI character
    bool after_tag = false;  // the tag just ended with no space: a node begins here (`!"x"`)
    char word_first = 0;     // the first character of the word before the last space (a tag "!x", an anchor "&x")
    size_t last = indent;    // the last character before a comment
    for (size_t i = indent; i < line.size(); ++i) {
      char c = line[i];
      if (quote) {
        if (quote == '"' && c == '\\')
          ++i;
        else if (c == quote && quote == '\'' && i + 1 < line.size() && line[i + 1] == '\'')
          ++i;
        else if (c == quote)
          quote = 0, after_value = flow == 0, prev = c;
        last = i;
        continue;
      }
      if (in_tag) {
        if (IsTagChar(c) || (c == '<' && prev == '!') || (c == '>' && VerbatimTagOpen(line, i))) {
          prev = c, last = i;
          continue;
        }
        in_tag = false;
        after_tag = c != ' ' && c != '\t' && c != '\r';
      }
      if (c == ' ' || c == '\t' || c == '\r') continue;
      bool spaced = i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t');
      if (c == '#' && (i == 0 || spaced)) break;
      // Where a node may begin: after an indicator (": ", "- ", "? ", a tag or an anchor), or
      // after ',', '[', '{' or ':' inside [ ] or { }. Not inside a plain scalar such as k:{"x".
      bool token_start =
          prev == 0 || after_tag ||
          (spaced && (prev == ':' || prev == '-' || prev == '?' || word_first == '!' || word_first == '&')) ||
          (flow > 0 && (prev == ',' || prev == '[' || prev == '{' || prev == ':'));
      // ',' where a value begins (not inside a plain scalar such as "b ,c"): never valid YAML there.
      bool value_start =
          prev == 0 || after_value || after_tag ||
          (spaced && (prev == ':' || prev == '-' || prev == '?' || word_first == '!' || word_first == '&'));
      if (c == ',' && flow == 0 && value_start) return refuse(i);
      if (spaced || i == indent) word_first = c;
      // After a quoted or bracketed value at block level only ':' may follow in valid YAML; a ','
      // anywhere before it is refused (found by fuzzing: `"kind:" "Role",`).
      if (c == ':') after_value = false;
      if (c == '!' && token_start) in_tag = true;
      after_tag = false;
      if ((c == '"' || c == '\'') && token_start)
        quote = c;
      else if ((c == '[' || c == '{') && (token_start || flow > 0))
        ++flow;
      else if ((c == ']' || c == '}') && flow > 0)
        after_value = --flow == 0;
      prev = c;
      last = i;
    }
    char tail = line[last];
    if (!quote && flow == 0 &&
        (tail == '|' || tail == '>' ||
         ((tail == '-' || tail == '+' || isdigit(static_cast<unsigned char>(tail))) && last > 0 &&
          (line[last - 1] == '|' || line[last - 1] == '>'))))
      block_scalar_indent = static_cast<int>(indent);
  }
  return Status::Ok();
}

Result<std::vector<Document>> DecodeYaml(std::string_view text, const std::string& file, const DecodeOptions& options) {
  if (text.size() > options.max_bytes) return Status::Limit(TooLarge(file, text.size(), options.max_bytes));
  WARREN_RETURN_IF_ERROR(CheckYamlCharacters(text, file));
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  // Before either reader: the fast one accepts some of what this refuses (`a: 5 - ,` is a plain
  // scalar), where yaml-cpp, which cannot be asked, might loop (found by fuzzing).
  if (!options.skip_comma_check) WARREN_RETURN_IF_ERROR(CheckLeadingCommas(text, file));
  // Most manifests are in the subset the fast reader knows; it gives up on anything else.
  if (!options.record_positions && !options.disable_fast_path) {
    if (auto fast = FastDecodeYaml(text, options.max_depth)) {
      std::vector<Document> docs;
      for (FastDocument& d : *fast)
        docs.push_back({std::move(d.value), SourceLocation{file, d.line, d.column}, nullptr});
      return docs;
    }
  }
  std::istringstream in{std::string(text)};
  std::vector<Document> docs;
  JsonBuilder builder(file, options);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) docs.push_back(builder.TakeDocument());
  } catch (const DecodeAbort& abort) {
    return abort.status;
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg;
    // yaml-cpp's own recursion guard reports "bad file"; say what it means.
    if (msg == "bad file") msg = "nesting too deep for the YAML parser";
    return Status::Invalid(Where(file, e.mark) + ": " + msg);
  }
  return docs;
}

Result<Document> DecodeJson(std::string_view text, const std::string& file, const DecodeOptions& options) {
  if (text.size() > options.max_bytes) return Status::Limit(TooLarge(file, text.size(), options.max_bytes));
  WARREN_RETURN_IF_ERROR(CheckYamlCharacters(text, file));  // kubectl reads JSON through its YAML reader
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (auto fast = options.disable_fast_path ? std::nullopt : FastDecodeJson(text, options.max_depth))
    return Document{std::move(*fast), SourceLocation{file, 1, 1}, nullptr};
  JsonTreeBuilder builder(options.max_depth);
  bool ok = Json::sax_parse(text.begin(), text.end(), &builder);
  if (ok) return Document{builder.Take(), SourceLocation{file, 1, 1}, nullptr};
  if (builder.too_deep())
    return Status::Limit(file + ": nesting deeper than " + std::to_string(options.max_depth) + " levels");
  // Turn the byte offset into line and column.
  size_t end = std::min(builder.error_byte(), text.size());
  int line = 1, col = 1;
  for (size_t i = 0; i + 1 < end; ++i) {
    if (text[i] == '\n')
      ++line, col = 1;
    else
      ++col;
  }
  std::string what = builder.error();
  auto pos = what.find("syntax error");
  if (pos != std::string::npos) what = what.substr(pos);
  return Status::Invalid(SourceLocation{file, line, col}.ToString() + ": invalid JSON: " + what);
}

}  // namespace warren
