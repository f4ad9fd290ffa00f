// Decoding YAML and JSON text into JSON values, the way Kubernetes reads manifests.
//
// YAML is read as sigs.k8s.io/yaml (go-yaml v2) reads it: YAML 1.1 plain scalars, so an unquoted
// `yes`, `on` or `n` is a boolean and `0644` is the octal number 420; merge keys (`<<`) work;
// non-string mapping keys become strings. Anything that cannot become JSON is an error naming
// file, line and column. Limits stop hostile input early: a file larger than max_bytes is refused
// before it is read, nesting deeper than max_depth and alias expansion beyond max_nodes are errors,
// never an out-of-memory.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "diff/model/object.h"
#include "diff/model/status.h"
#include "diff/model/yaml_scalar.h"  // ResolvePlainScalar, for decode's users

namespace warren {

struct DecodeOptions {
  // Largest input accepted, in bytes. Default: 32 MiB (the API server takes at most 3 MiB per object).
  size_t max_bytes = 32u << 20;
  // Deepest nesting of mappings and sequences. Default: 100 (real objects stay under 30).
  int max_depth = 100;
  // Most JSON nodes one document may expand to, counting every copy an alias makes. Default: 2M.
  size_t max_nodes = 2'000'000;
  // Record the line and column of every node (for lint findings). Default: off.
  bool record_positions = false;
  // Always use yaml-cpp (or nlohmann's JSON parser), never the fast readers (tests compare them).
  bool disable_fast_path = false;
  // Let yaml-cpp meet the commas CheckLeadingCommas refuses (tests of the parser's own stall guard).
  bool skip_comma_check = false;
};

struct Document {
  Json value;                                      // null for an empty document
  SourceLocation where;                            // where the document starts
  std::shared_ptr<const PositionIndex> positions;  // set when record_positions
  // JSON Pointers of the values that were encrypted in the file (SOPS), set by a Decryptor.
  std::shared_ptr<const std::vector<std::string>> encrypted;
};

// Refuses what Kubernetes' YAML reader refuses before parsing: invalid UTF-8, control characters,
// and a byte-order mark anywhere but at the start; the error names file:line:column.
Status CheckYamlCharacters(std::string_view text, const std::string& file);

// Refuses a ',' outside a flow collection that begins a line or follows a quoted or bracketed
// value: Debian's yaml-cpp 0.7 allocates without end on such a ',' at the top level (found by
// fuzzing; `,` or `"",` alone is enough). YAML allows the first only as the rare continuation
// of a plain scalar, and the second never outside [ ] or { }.
Status CheckLeadingCommas(std::string_view text, const std::string& file);

// Said where yaml-cpp 0.7 reports one empty document after another from the same place (a token
// it cannot read where a node begins, e.g. a ','): every reader of its events stops there.
inline constexpr const char* kYamlNoProgress =
    "the YAML parser made no progress here (yaml-cpp 0.7 cannot read this token where a node begins); quote the "
    "value";

// Splits a YAML stream into documents. `file` is used in locations and messages only.
Result<std::vector<Document>> DecodeYaml(std::string_view text, const std::string& file,
                                         const DecodeOptions& options = {});

// Parses one JSON value (an object, or a List of objects). Errors name the line and column.
Result<Document> DecodeJson(std::string_view text, const std::string& file, const DecodeOptions& options = {});

}  // namespace warren
