// Differential: whatever the fast YAML reader accepts, yaml-cpp accepts with the same value and
// the same document locations, read whole or in parts; and the position-recording path never
// crashes.
#include "diff/model/decode.h"
#include "diff/model/fast_yaml.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren;
  std::string text = fuzz::Text(data, size);
  DecodeOptions positions;
  positions.record_positions = true;
  (void)DecodeYaml(text, "fuzz.yaml", positions);
  // Refused before either parser runs.
  if (!CheckYamlCharacters(text, "fuzz.yaml").ok() || !CheckLeadingCommas(text, "fuzz.yaml").ok()) return 0;
  auto fast = FastDecodeYaml(text, 100);
  // Read in parts split at --- lines on every core, as a large file is: the same documents.
  auto parts = FastDecodeYaml(text, 100, /*split_above=*/0);
  WARREN_FUZZ_CHECK(parts.has_value() == fast.has_value(), "read in parts, it is accepted or not as read whole");
  if (!fast) return 0;
  WARREN_FUZZ_CHECK(parts->size() == fast->size(), "document count in parts");
  for (size_t i = 0; i < fast->size(); ++i)
    WARREN_FUZZ_CHECK((*parts)[i].value == (*fast)[i].value && (*parts)[i].line == (*fast)[i].line,
                      "a document read in parts");
  DecodeOptions slow_options;
  slow_options.disable_fast_path = true;
  auto slow = DecodeYaml(text, "fuzz.yaml", slow_options);
  WARREN_FUZZ_CHECK(slow.ok(), "the fast reader accepted what yaml-cpp rejects");
  WARREN_FUZZ_CHECK(fast->size() == slow.value().size(), "document count");
  for (size_t i = 0; i < fast->size(); ++i) {
    WARREN_FUZZ_CHECK((*fast)[i].value == slow.value()[i].value, "document value");
    if (!slow.value()[i].value.is_null())
      WARREN_FUZZ_CHECK((*fast)[i].line == slow.value()[i].where.line, "document line");
  }
  return 0;
}
