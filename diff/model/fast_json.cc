#include "diff/model/fast_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "diff/model/escapes.h"
#include "diff/model/json_tree_builder.h"

namespace warren {
namespace {

// Thrown inside the reader to give up; never escapes FastDecodeJson.
struct Unsupported {};

[[noreturn]] void GiveUp() { throw Unsupported{}; }

// How much of an object to make: all of it, an item's identity (apiVersion, kind and the
// metadata below), or metadata's name and namespace. What is not made is still read and checked.
enum class Keep { kAll, kIdentity, kNameAndNamespace };

class Reader {
 public:
  Reader(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  Json Document() {
    Json v = Value(0);
    SkipSpace();
    if (i_ != s_.size()) GiveUp();  // text after the value
    return v;
  }

  // As Document, with each item of a top-level object's `items` array made as far as its
  // identity and its place in the text noted instead.
  SkimmedList Skim() {
    SkimmedList out;
    SkipSpace();
    if (Peek() != '{') {
      out.list = Document();
      return out;
    }
    const size_t first = gathered_.members.size();
    Items('}', [&] {
      std::string key;
      Key(&key);
      SkipSpace();
      bool items = key == "items";
      if (items) out.items.clear();  // of a key given twice the last stays
      Json value = items && Peek() == '[' ? ItemHeads(1, &out.items) : Value(1);
      gathered_.members.emplace_back(std::move(key), std::move(value));
    });
    out.list = gathered_.TakeMembers(first);
    FinishObject(out.list.get_ref<Json::object_t&>());
    SkipSpace();
    if (i_ != s_.size()) GiveUp();  // text after the value
    return out;
  }

 private:
  // An array of items, each object made as far as its identity, and where each is in the text.
  Json ItemHeads(int depth, std::vector<TextSpan>* spans) {
    if (depth > max_depth_) GiveUp();
    const size_t first = gathered_.items.size();
    Items(']', [&] {
      SkipSpace();
      const size_t begin = i_;
      Json head = Value(depth + 1, Keep::kIdentity);
      spans->push_back({begin, i_ - begin});
      gathered_.items.push_back(std::move(head));
    });
    return gathered_.TakeItems(first);
  }

  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }

  char Peek() {
    if (i_ >= s_.size()) GiveUp();
    return s_[i_];
  }

  void Expect(std::string_view word) {
    if (s_.compare(i_, word.size(), word) != 0) GiveUp();
    i_ += word.size();
  }

  Json Value(int depth, Keep keep = Keep::kAll) {
    if (depth > max_depth_) GiveUp();
    SkipSpace();
    switch (Peek()) {
      case '{':
        return Object(depth, keep);
      case '[':
        return Array(depth);
      case '"':
        return Json(String());
      case 't':
        Expect("true");
        return Json(true);
      case 'f':
        Expect("false");
        return Json(false);
      case 'n':
        Expect("null");
        return Json(nullptr);
      default:
        return Number();
    }
  }

  // Checks a value as Value reads it, and makes nothing of it.
  void Skip(int depth) {
    if (depth > max_depth_) GiveUp();
    SkipSpace();
    switch (Peek()) {
      case '{':
        Items('}', [&] {
          Key(nullptr);
          Skip(depth + 1);
        });
        return;
      case '[':
        Items(']', [&] { Skip(depth + 1); });
        return;
      case '"':
        ReadString(nullptr);
        return;
      case 't':
        Expect("true");
        return;
      case 'f':
        Expect("false");
        return;
      case 'n':
        Expect("null");
        return;
      default:
        (void)Number();
    }
  }

  // The items of an object or array, after its opening bracket and through `close`: none, or
  // one read by `item` and then one more after each ','.
  template <class ReadItem>
  void Items(char close, ReadItem item) {
    ++i_;
    SkipSpace();
    if (Peek() == close) {
      ++i_;
      return;
    }
    for (;;) {
      item();
      SkipSpace();
      char c = Peek();
      ++i_;
      if (c == close) return;
      if (c != ',') GiveUp();
    }
  }

  // An object's key and the ':' after it; `key` null: checked, not copied.
  void Key(std::string* key) {
    SkipSpace();
    if (Peek() != '"') GiveUp();
    ReadString(key);
    SkipSpace();
    if (Peek() != ':') GiveUp();
    ++i_;
  }

  Json Object(int depth, Keep keep) {
    const size_t first = gathered_.members.size();
    Items('}', [&] {
      std::string key;
      Key(&key);
      Keep inner = Keep::kAll;
      if (keep == Keep::kIdentity && key == "metadata") {
        inner = Keep::kNameAndNamespace;
      } else if ((keep == Keep::kIdentity && key != "apiVersion" && key != "kind") ||
                 (keep == Keep::kNameAndNamespace && key != "name" && key != "namespace")) {
        Skip(depth + 1);
        return;
      }
      Json value = Value(depth + 1, inner);  // gathers and takes back its own entries first
      gathered_.members.emplace_back(std::move(key), std::move(value));
    });
    Json out = gathered_.TakeMembers(first);
    FinishObject(out.get_ref<Json::object_t&>());
    return out;
  }

  Json Array(int depth) {
    const size_t first = gathered_.items.size();
    Items(']', [&] {
      Json value = Value(depth + 1);
      gathered_.items.push_back(std::move(value));
    });
    return gathered_.TakeItems(first);
  }

  std::string String() {
    std::string out;
    ReadString(&out);
    return out;
  }

  // At the opening quote. Plain runs are copied whole; escapes are decoded as JSON defines them.
  // `out` null: checked as it would be read, nothing copied.
  void ReadString(std::string* out) {
    ++i_;
    size_t start = i_;
    auto plain = [](char c) {
      auto u = static_cast<unsigned char>(c);
      return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
    };
    while (i_ < s_.size() && plain(s_[i_])) ++i_;
    if (out) out->assign(s_.substr(start, i_ - start));
    for (;;) {
      char c = Peek();
      if (static_cast<unsigned char>(c) >= 0x80) {  // valid UTF-8 is copied, as nlohmann's lexer checks
        uint32_t cp = 0;
        size_t n = Utf8At(s_, i_, &cp);
        if (n == 0) GiveUp();
        if (out) out->append(s_.substr(i_, n));
        i_ += n;
        continue;
      }
      ++i_;
      if (c == '"') return;
      if (static_cast<unsigned char>(c) < 0x20) GiveUp();  // a raw control character
      if (c != '\\') {
        if (out) out->push_back(c);
        continue;
      }
      char e = Peek();
      ++i_;
      if (e == 'u') {
        unsigned long cp = CodePoint();
        if (out) AppendUtf8(*out, cp);
        continue;
      }
      // The one-character escapes, each followed by what it stands for.
      static constexpr std::string_view kEscapes = "\"\"\\\\//b\bf\fn\nr\rt\t";
      size_t at = kEscapes.find(e);
      if (at == std::string_view::npos || at % 2 != 0) GiveUp();
      if (out) out->push_back(kEscapes[at + 1]);
    }
  }

  unsigned long Hex4() {
    unsigned long v = 0;
    if (!ReadHex(s_, i_, 4, &v)) GiveUp();
    i_ += 4;
    return v;
  }

  // After "\u": one code point, a surrogate pair joined; a lone surrogate gives up.
  unsigned long CodePoint() {
    unsigned long v = Hex4();
    if (v >= 0xDC00 && v <= 0xDFFF) GiveUp();
    if (v < 0xD800 || v > 0xDBFF) return v;
    if (s_.compare(i_, 2, "\\u") != 0) GiveUp();
    i_ += 2;
    unsigned long low = Hex4();
    if (low < 0xDC00 || low > 0xDFFF) GiveUp();
    return 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // JSON's grammar exactly; the value as nlohmann's lexer makes it: an integer without a sign is
  // unsigned, with one signed, a fraction or an exponent (or an integer out of range) a double.
  Json Number() {
    const size_t start = i_;
    bool negative = false, integer = true;
    if (i_ < s_.size() && s_[i_] == '-') negative = true, ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else {
      if (i_ >= s_.size() || s_[i_] < '1' || s_[i_] > '9') GiveUp();
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      integer = false;
      ++i_;
      if (i_ >= s_.size() || !IsDigit(s_[i_])) GiveUp();
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      integer = false;
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !IsDigit(s_[i_])) GiveUp();
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    }
    // from_chars reads as strtoull/strtoll/strtod in the C locale, which is what nlohmann calls.
    const char* first = s_.data() + start;
    const char* last = s_.data() + i_;
    if (integer && !negative) {
      uint64_t v = 0;
      auto [at, err] = std::from_chars(first, last, v);
      if (err == std::errc() && at == last) return Json(v);
    } else if (integer) {
      int64_t v = 0;
      auto [at, err] = std::from_chars(first, last, v);
      if (err == std::errc() && at == last) return Json(v);
    }
    double d = 0;
    auto [at, err] = std::from_chars(first, last, d);
    if (err != std::errc() || at != last || !std::isfinite(d)) GiveUp();  // nlohmann says why
    return Json(d);
  }

  std::string_view s_;
  size_t i_ = 0;
  int max_depth_;
  Gathered gathered_;
};

}  // namespace

std::optional<Json> FastDecodeJson(std::string_view text, int max_depth) {
  try {
    return Reader(text, max_depth).Document();
  } catch (const Unsupported&) {
    return std::nullopt;
  }
}

std::optional<SkimmedList> FastSkimJsonList(std::string_view text, int max_depth) {
  try {
    return Reader(text, max_depth).Skim();
  } catch (const Unsupported&) {
    return std::nullopt;
  }
}

Json ParseJson(std::string_view text) {
  // The fast reader recurses; anything nested deeper than any Kubernetes object goes to
  // nlohmann's parser, which does not (and has no depth limit of its own).
  if (auto fast = FastDecodeJson(text, 256)) return std::move(*fast);
  return Json::parse(text, nullptr, false);
}

}  // namespace warren
