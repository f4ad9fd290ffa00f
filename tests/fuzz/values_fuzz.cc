// Small value parsers and their round trips: Kubernetes quantities (a canonical form parses back
// to the same value) and Go durations (formatting then parsing keeps the value).
#include "diff/model/duration.h"
#include "diff/model/quantity.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren;
  std::string text = fuzz::Text(data, size);
  if (auto q = ParseQuantity(text)) {
    auto again = ParseQuantity(CanonicalQuantity(*q));
    WARREN_FUZZ_CHECK(again && *again == *q, "a quantity's canonical form parses back to it");
  }
  (void)ParseQuantity(Json(text));
  auto d = ParseDuration(text);
  if (d.ok()) {
    auto again = ParseDuration(FormatDuration(d.value()));
    WARREN_FUZZ_CHECK(again.ok() && again.value() == d.value(), "a duration's Go form parses back to it");
  }
  return 0;
}
