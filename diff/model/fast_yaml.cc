#include "diff/model/fast_yaml.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "diff/model/escapes.h"
#include "diff/model/json_tree_builder.h"
#include "diff/model/yaml_scalar.h"

namespace warren {
namespace {

// Thrown inside the reader to give up; never escapes FastDecodeYaml.
struct Unsupported {};

[[noreturn]] void GiveUp() { throw Unsupported{}; }

struct Line {
  int indent;
  std::string_view content;  // comment and trailing spaces removed; never empty
  int number;                // 1-based
};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Whether a node may begin at s[i]: the line's start, after the spaces that follow a mapping's
// ':' or the "- " of sequence entries, or in a flow collection after '[', '{' or ','. Anywhere
// else a quote or a bracket is part of a plain scalar (`a: e "x # c` is the scalar `e "x`).
bool NodeMayStart(std::string_view s, size_t i, bool in_flow) {
  if (i == 0) return true;
  auto flow_indicator = [](char c) { return c == '[' || c == '{' || c == ','; };
  if (in_flow && flow_indicator(s[i - 1])) return true;
  if (s[i - 1] != ' ') return false;
  size_t j = s.find_last_not_of(' ', i - 1);
  if (j == std::string_view::npos || s[j] == ':' || (in_flow && flow_indicator(s[j]))) return true;
  if (s[j] != '-') return false;
  for (size_t k = 0; k <= j; ++k)  // only "- " entries before it: "- - x"
    if ((s[k] != '-' && s[k] != ' ') || (s[k] == '-' && s[k + 1] != ' ')) return false;
  return true;
}

// Where a comment starts (" #" or a leading "#"), skipping quoted and flow text; npos if none.
// A quote or bracket inside a plain scalar leaves where the scalar ends to yaml-cpp: with a
// comment on the same line, the reader gives up.
size_t CommentStart(std::string_view s) {
  char quote = 0;
  int flow = 0;
  bool doubt = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) {
        if (quote == '\'' && i + 1 < s.size() && s[i + 1] == '\'')
          ++i;  // '' inside '...'
        else
          quote = 0;
      } else if (quote == '"' && c == '\\') {
        ++i;
      }
      continue;
    }
    if (c == '"' || c == '\'' || c == '[' || c == '{') {
      if (!NodeMayStart(s, i, flow > 0))
        doubt = true;
      else if (c == '[' || c == '{')
        ++flow;
      else
        quote = c;
    } else if ((c == ']' || c == '}') && flow > 0) {
      --flow;
    } else if (c == '#' && (i == 0 || IsSpace(s[i - 1]))) {
      if (doubt) GiveUp();
      return i;
    }
  }
  return std::string_view::npos;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A quoted scalar starting at s[i]; advances i past the closing quote.
std::string Quoted(std::string_view s, size_t& i) {
  char q = s[i++];
  std::string out;
  while (i < s.size()) {
    char c = s[i++];
    if (c == q) {
      if (q == '\'' && i < s.size() && s[i] == '\'') {
        out += '\'';
        ++i;
        continue;
      }
      return out;
    }
    if (q == '"' && c == '\\') {
      if (i >= s.size()) GiveUp();
      char e = s[i++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case '0':
          out += '\0';
          break;
        case ' ':
          out += ' ';
          break;
        case 'x':
        case 'u':
        case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          unsigned long cp = 0;
          if (!ReadHex(s, i, n, &cp)) GiveUp();
          i += n;
          if (!AppendUtf8(out, cp)) GiveUp();
          break;
        }
        default:
          GiveUp();  // rarer escapes: yaml-cpp knows them
      }
      continue;
    }
    out += c;
  }
  GiveUp();  // unterminated on this line: a multi-line scalar
}

// The first character of a plain scalar must not be one of YAML's indicators.
void CheckPlainStart(std::string_view s) {
  if (s.empty()) return;
  if (std::strchr("&*!|>%@`?#,[]{}'\"", s[0])) GiveUp();
  if ((s[0] == '-' || s[0] == ':') && (s.size() == 1 || s[1] == ' ')) GiveUp();
}

Json PlainValue(std::string_view s) {
  CheckPlainStart(s);
  // ": " or a final ":" makes a mapping where a value belongs (yaml-cpp: "illegal map value").
  if (s.find(": ") != std::string_view::npos || s.back() == ':') GiveUp();
  Json v = ResolvePlainScalar(std::string(s));
  if (v.is_number_float() && !std::isfinite(v.get<double>())) GiveUp();  // the slow path explains
  return v;
}

// The members gathered since `first` as one mapping, sorted; a key given twice is yaml-cpp's to
// report.
Json TakeMapping(Gathered& gathered, size_t first) {
  Json out = gathered.TakeMembers(first);
  auto& m = out.get_ref<Json::object_t&>();
  auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!std::is_sorted(m.begin(), m.end(), by_key)) std::sort(m.begin(), m.end(), by_key);
  auto same = [](const auto& a, const auto& b) { return a.first == b.first; };
  if (std::adjacent_find(m.begin(), m.end(), same) != m.end()) GiveUp();
  return out;
}

class FlowReader {
 public:
  FlowReader(std::string_view s, int depth, int max_depth, Gathered& gathered)
      : s_(s), depth_(depth), max_depth_(max_depth), gathered_(gathered) {}

  Json ReadAll() {
    Json v = Value();
    Skip();
    if (i_ != s_.size()) GiveUp();
    return v;
  }

 private:
  void Skip() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }

  Json Value() {
    Skip();
    if (i_ >= s_.size()) GiveUp();
    char c = s_[i_];
    if (c == '{' || c == '[') {
      if (++depth_ > max_depth_) GiveUp();
      Json v = c == '{' ? Map() : Seq();
      --depth_;
      return v;
    }
    if (c == '"' || c == '\'') return Quoted(s_, i_);
    size_t start = i_;
    while (i_ < s_.size()) {
      char d = s_[i_];
      if (d == ',' || d == ']' || d == '}') break;
      if (d == ':' &&
          (i_ + 1 >= s_.size() || s_[i_ + 1] == ' ' || s_[i_ + 1] == ',' || s_[i_ + 1] == '}' || s_[i_ + 1] == ']'))
        break;
      if (d == '#' && i_ > start && s_[i_ - 1] == ' ') GiveUp();
      if (d == '[' || d == '{') GiveUp();  // not inside a flow scalar (found by fuzzing: "[:{]")
      if (d == '?') GiveUp();  // yaml-cpp 0.7 refuses "?" anywhere in a flow scalar ("[mana?ement]", by fuzzing)
      ++i_;
    }
    std::string_view plain = TrimRight(s_.substr(start, i_ - start));
    if (plain.empty() || plain[0] == ':') GiveUp();
    CheckPlainStart(plain);
    Json v = ResolvePlainScalar(std::string(plain));
    if (v.is_number_float() && !std::isfinite(v.get<double>())) GiveUp();
    return v;
  }

  Json Map() {
    ++i_;  // {
    const size_t first = gathered_.members.size();
    Skip();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return TakeMapping(gathered_, first);
    }
    while (true) {
      Json key = Value();
      if (key.is_object() || key.is_array()) GiveUp();
      Skip();
      Json value;  // `{a}` and `{a: }` are null values
      if (i_ < s_.size() && s_[i_] == ':') {
        ++i_;
        Skip();
        if (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}') value = Value();
      }
      std::string k = MappingKeyString(key);
      if (k == "<<") GiveUp();
      gathered_.members.emplace_back(std::move(k), std::move(value));
      Skip();
      if (i_ >= s_.size()) GiveUp();
      if (s_[i_] == '}') {
        ++i_;
        return TakeMapping(gathered_, first);
      }
      if (s_[i_] != ',') GiveUp();
      ++i_;
      Skip();
      if (i_ < s_.size() && s_[i_] == '}') GiveUp();  // trailing comma: leave it to yaml-cpp
    }
  }

  Json Seq() {
    ++i_;  // [
    const size_t first = gathered_.items.size();
    Skip();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return gathered_.TakeItems(first);
    }
    while (true) {
      Json value = Value();
      gathered_.items.push_back(std::move(value));
      Skip();
      if (i_ >= s_.size()) GiveUp();
      if (s_[i_] == ':') GiveUp();  // [a: b] single-pair mappings
      if (s_[i_] == ']') {
        ++i_;
        return gathered_.TakeItems(first);
      }
      if (s_[i_] != ',') GiveUp();
      ++i_;
      Skip();
      if (i_ < s_.size() && s_[i_] == ']') GiveUp();
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  int depth_;
  int max_depth_;
  Gathered& gathered_;
};

class BlockReader {
 public:
  BlockReader(std::vector<Line> lines, int max_depth) : lines_(std::move(lines)), max_depth_(max_depth) {}

  Json Document() {
    if (lines_.empty()) return Json();
    Json v = Node(lines_[0].indent, 0);
    if (pos_ != lines_.size()) GiveUp();  // something left over: not the shape we read
    return v;
  }

 private:
  // Where "key:" ends in a block line: the index of the ':' separating key and value, or npos.
  static size_t KeyColon(std::string_view s) {
    size_t i = 0;
    if (s[0] == '"' || s[0] == '\'') {
      Quoted(s, i);  // the key
      if (i < s.size() && s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return i;
      return std::string_view::npos;
    }
    if (s[0] == '[' || s[0] == '{') return std::string_view::npos;
    for (; i < s.size(); ++i)
      if (s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return i;
    return std::string_view::npos;
  }

  static bool IsSeqItem(std::string_view s) { return s[0] == '-' && (s.size() == 1 || s[1] == ' '); }

  Json Node(int indent, int depth) {
    if (depth > max_depth_) GiveUp();
    const Line& l = lines_[pos_];
    if (l.indent != indent) GiveUp();
    if (IsSeqItem(l.content)) return Sequence(indent, depth);
    if (KeyColon(l.content) != std::string_view::npos) return Mapping(indent, depth);
    // A lone scalar or flow collection as the whole node.
    ++pos_;
    return Scalar(l.content, depth);
  }

  Json Scalar(std::string_view s, int depth) {
    if (s[0] == '[' || s[0] == '{') return FlowReader(s, depth, max_depth_, gathered_).ReadAll();
    if (s[0] == '"' || s[0] == '\'') {
      size_t i = 0;
      std::string v = Quoted(s, i);
      if (i != s.size()) GiveUp();
      return v;
    }
    return PlainValue(s);
  }

  // The value after "key:" or "- ": inline, or the block on the following lines, or null.
  Json ValueAfter(std::string_view rest, int indent, int depth, bool in_sequence) {
    if (!rest.empty()) {
      Json v = Scalar(rest, depth + 1);
      // A more indented line after an inline scalar would continue it (a multi-line scalar).
      if (pos_ < lines_.size() && lines_[pos_].indent > indent) GiveUp();
      return v;
    }
    if (pos_ >= lines_.size()) return Json();
    const Line& next = lines_[pos_];
    if (next.indent > indent) return Node(next.indent, depth + 1);
    // "key:" followed by "- item" at the key's own indent is a sequence value.
    if (!in_sequence && next.indent == indent && IsSeqItem(next.content)) return Sequence(indent, depth + 1);
    return Json();
  }

  Json Mapping(int indent, int depth) {
    const size_t first = gathered_.members.size();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent && !IsSeqItem(lines_[pos_].content)) {
      std::string_view s = lines_[pos_].content;
      size_t colon = KeyColon(s);
      if (colon == std::string_view::npos) GiveUp();
      std::string_view raw_key = TrimRight(s.substr(0, colon));
      if (raw_key.empty()) GiveUp();  // ": value", an empty (null) key: yaml-cpp's to read
      Json key;
      if (raw_key[0] == '"' || raw_key[0] == '\'') {
        size_t i = 0;
        key = Quoted(raw_key, i);
        if (i != raw_key.size()) GiveUp();
      } else {
        if (raw_key == "<<") GiveUp();
        key = PlainValue(raw_key);
      }
      std::string k = MappingKeyString(key);
      std::string_view rest = colon + 1 < s.size() ? s.substr(colon + 1) : std::string_view();
      while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
      ++pos_;
      Json value = ValueAfter(rest, indent, depth, false);
      gathered_.members.emplace_back(std::move(k), std::move(value));
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) GiveUp();
    return TakeMapping(gathered_, first);  // duplicate keys give up: yaml-cpp's path reports them
  }

  Json Sequence(int indent, int depth) {
    const size_t first = gathered_.items.size();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent && IsSeqItem(lines_[pos_].content)) {
      Line& l = lines_[pos_];
      std::string_view rest = l.content.substr(1);
      size_t spaces = 0;
      while (spaces < rest.size() && rest[spaces] == ' ') ++spaces;
      rest.remove_prefix(spaces);
      if (!rest.empty() && (IsSeqItem(rest) || KeyColon(rest) != std::string_view::npos)) {
        if (IsSeqItem(rest)) GiveUp();  // "- - x"
        // "- key: value": a mapping whose first line shares the dash's line.
        l.indent = indent + 1 + static_cast<int>(spaces);
        l.content = rest;
        Json item = Mapping(l.indent, depth + 1);
        gathered_.items.push_back(std::move(item));
        continue;
      }
      ++pos_;
      Json item = ValueAfter(rest, indent, depth, true);
      gathered_.items.push_back(std::move(item));
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) GiveUp();
    return gathered_.TakeItems(first);
  }

  std::vector<Line> lines_;
  size_t pos_ = 0;
  int max_depth_;
  Gathered gathered_;
};

}  // namespace

namespace {

bool IsMarkerLine(std::string_view raw) {
  return raw.rfind("---", 0) == 0 && (raw.size() == 3 || raw[3] == ' ' || raw[3] == '\r');
}

// The documents of `text`, whose first line is line `first_line` of the file.
std::optional<std::vector<FastDocument>> ReadDocuments(std::string_view text, int max_depth, int first_line) {
  try {
    std::vector<FastDocument> docs;
    std::vector<Line> lines;
    bool open = false;    // a document has begun (content, or an explicit ---)
    int marker_line = 0;  // the line of the --- that began it, which is where yaml-cpp starts it
    auto finish = [&] {
      FastDocument d;
      if (marker_line > 0) {
        d.line = marker_line;
        d.column = 1;
      } else if (!lines.empty()) {
        d.line = lines[0].number;
        d.column = lines[0].indent + 1;
      }
      marker_line = 0;
      d.value = BlockReader(std::move(lines), max_depth).Document();
      lines.clear();
      docs.push_back(std::move(d));
    };
    int number = first_line - 1;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view raw = text.substr(start, end - start);
      start = end + 1;
      ++number;
      if (IsMarkerLine(raw)) {
        std::string_view after = TrimRight(raw.substr(3));
        while (!after.empty() && after[0] == ' ') after.remove_prefix(1);
        if (!after.empty() && after[0] != '#') GiveUp();  // content on the --- line
        if (open) finish();
        open = true;
        marker_line = number;
        continue;
      }
      if (raw.rfind("...", 0) == 0 || raw.rfind("%", 0) == 0) GiveUp();
      int indent = 0;
      while (static_cast<size_t>(indent) < raw.size() && raw[indent] == ' ') ++indent;
      std::string_view content = raw.substr(indent);
      if (!content.empty() && content[0] == '\t') GiveUp();
      size_t comment = CommentStart(content);
      if (comment != std::string_view::npos) content = content.substr(0, comment);
      content = TrimRight(content);
      if (content.empty()) continue;
      if (content.find('\t') != std::string_view::npos) GiveUp();
      open = true;
      lines.push_back({indent, content, number});
    }
    if (open) finish();
    return docs;
  } catch (const Unsupported&) {
    return std::nullopt;
  } catch (const Json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::vector<size_t> SplitAtDocuments(std::string_view text, size_t parts) {
  std::vector<size_t> out{0};
  for (size_t k = 1; k < parts; ++k) {
    // The first line at or after the k-th share that is a --- marker.
    size_t at = std::max(out.back() + 1, text.size() / parts * k);
    at = text.rfind('\n', at - 1);
    for (at = at == std::string_view::npos ? 0 : at + 1; at < text.size();) {
      size_t end = text.find('\n', at);
      if (end == std::string_view::npos) end = text.size();
      if (at > out.back() && IsMarkerLine(text.substr(at, end - at))) break;
      at = end + 1;
    }
    if (at >= text.size()) break;
    out.push_back(at);
  }
  return out;
}

std::optional<std::vector<FastDocument>> FastDecodeYaml(std::string_view text, int max_depth, size_t split_above) {
  // A byte-order mark (DecodeYaml strips a leading one) is yaml-cpp's to handle, and so is a
  // carriage return that does not end a line (found by fuzzing: the fast reader dropped it).
  if (text.find("\xEF\xBB\xBF") != std::string_view::npos) return std::nullopt;
  for (size_t cr = text.find('\r'); cr != std::string_view::npos; cr = text.find('\r', cr + 1))
    if (cr + 1 == text.size() || text[cr + 1] != '\n') return std::nullopt;
  // The parts are read on every core, each core taking the next part as it finishes one (a few
  // parts per core, so that one lent elsewhere for a while does not hold the others up). The
  // reader keeps nothing from one document to the next but the line number, so the parts'
  // documents are the whole text's, in order.
  const size_t cores = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxReadThreads);
  const std::vector<size_t> starts = SplitAtDocuments(text, text.size() > split_above ? 4 * cores : 1);
  std::vector<std::string_view> parts;
  std::vector<int> first_lines;
  for (size_t k = 0; k < starts.size(); ++k) {
    size_t end = k + 1 < starts.size() ? starts[k + 1] : text.size();
    // A part starts on the line after its predecessor's last (the last part's lines are not counted).
    first_lines.push_back(
        k == 0 ? 1 : first_lines.back() + static_cast<int>(std::count(parts.back().begin(), parts.back().end(), '\n')));
    parts.push_back(text.substr(starts[k], end - starts[k]));
  }
  std::vector<std::optional<std::vector<FastDocument>>> read(parts.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> gave_up{false};
  auto read_parts = [&] {
    for (size_t k = next++; k < parts.size() && !gave_up; k = next++) {
      read[k] = ReadDocuments(parts[k], max_depth, first_lines[k]);
      if (!read[k]) gave_up = true;  // the whole text goes to yaml-cpp: the rest is not wanted
    }
  };
  std::vector<std::future<void>> running;
  for (size_t t = 1; t < std::min(cores, parts.size()); ++t)
    running.push_back(std::async(std::launch::async, read_parts));
  read_parts();
  for (auto& r : running) r.get();
  if (gave_up) return std::nullopt;
  std::vector<FastDocument> docs = std::move(*read[0]);
  for (size_t k = 1; k < read.size(); ++k) std::move(read[k]->begin(), read[k]->end(), std::back_inserter(docs));
  return docs;
}

}  // namespace warren
