// A fast reader for the YAML that manifests are made of: block mappings and sequences, one-line
// plain and quoted scalars, one-line flow collections, comments, `---` separators. yaml-cpp's
// scanner is most of the cost of a diff; this reads that common subset several times faster.
//
// It never guesses: anything outside the subset (anchors, aliases, tags, merge keys, block and
// multi-line scalars, complex keys, tabs, directives, duplicate keys, errors of any kind) makes it
// return nullopt, and the caller decodes the text with yaml-cpp instead, which also gives the
// precise error. Scalars resolve exactly as DecodeYaml's (go-yaml v2 rules); a differential test
// holds the two readers to the same output.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diff/model/object.h"
#include "diff/model/source_location.h"

namespace warren {

struct FastDocument {
  Json value;
  int line = 0, column = 0;  // 1-based start of the document's first node (0: empty document)
};

// A text longer than `split_above` bytes is read in parts on every core (at most
// kMaxReadThreads), four parts per core split at `---` lines: the documents are the same.
inline constexpr size_t kMaxReadThreads = 4;
inline constexpr size_t kSplitYamlAbove = 1u << 20;
std::optional<std::vector<FastDocument>> FastDecodeYaml(std::string_view text, int max_depth,
                                                        size_t split_above = kSplitYamlAbove);

// Where each of at most `parts` parts of `text` begins: 0, then the first `---` line at or after
// each further share of the text (fewer parts when there is no such line).
std::vector<size_t> SplitAtDocuments(std::string_view text, size_t parts);

}  // namespace warren
