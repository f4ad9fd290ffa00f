// A fast reader for JSON as the API server and kubectl write it. nlohmann's lexer copies every
// character into two buffers on its way (the token and, for error messages, the token text);
// reading a 20 MB List that way was the longest step of a large diff.
//
// It never guesses: on anything it is not sure of (any syntax error, a lone surrogate escape, a
// number out of range, nesting beyond max_depth) it returns nullopt and the caller parses the
// text with nlohmann's parser, which gives the precise error. What it accepts it reads exactly
// as Json::parse does (non-negative integers unsigned, negative ones signed, the last of a
// repeated key); a differential fuzz target holds the two to the same output.
// Strings must be valid UTF-8, as nlohmann's lexer requires; a byte-order mark is refused.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "diff/model/object.h"

namespace warren {

std::optional<Json> FastDecodeJson(std::string_view text, int max_depth);

// Where a value is in a text: its first byte's offset and its length.
struct TextSpan {
  size_t offset = 0, size = 0;
};

// A List read for what identifies its items, each item otherwise left in the text (a captured
// live state whose 10,000 trees need not all be made at once).
struct SkimmedList {
  // The document, each object of its top-level `items` array cut down to apiVersion, kind and
  // metadata's name and namespace (what there is of them; other items whole).
  Json list;
  std::vector<TextSpan> items;  // each item's text, in order; empty when there is no such array
};

// Accepts exactly what FastDecodeJson accepts (the whole text is read and checked), nullopt
// otherwise; an item's text then reads (ParseJson) as the item FastDecodeJson would make.
std::optional<SkimmedList> FastSkimJsonList(std::string_view text, int max_depth);

// As Json::parse(text, nullptr, false): the value, or a discarded value when the text is not
// JSON. For bodies from servers (the API server's Lists and watch events).
Json ParseJson(std::string_view text);

}  // namespace warren
