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

#include "diff/model/object.h"

namespace warren {

std::optional<Json> FastDecodeJson(std::string_view text, int max_depth);

// As Json::parse(text, nullptr, false): the value, or a discarded value when the text is not
// JSON. For bodies from servers (the API server's Lists and watch events).
Json ParseJson(std::string_view text);

}  // namespace warren
