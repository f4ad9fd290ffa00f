// Differential: whatever the fast JSON reader accepts, nlohmann's parser accepts with the same
// value, node for node and type for type (unsigned, signed, double), and the same key order; and
// the List skim accepts the same texts, its items' spans reading as the items.
#include "diff/model/decode.h"
#include "diff/model/fast_json.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

bool SameTree(const warren::Json& a, const warren::Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto x = a.begin(), y = b.begin(); x != a.end(); ++x, ++y)
      if (x.key() != y.key() || !SameTree(*x, *y)) return false;
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!SameTree(a[i], b[i])) return false;
    return true;
  }
  if (a.is_number_float()) return a.dump() == b.dump();  // -0.0 and NaN-free doubles alike
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren;
  std::string text = fuzz::Text(data, size);
  (void)DecodeJson(text, "fuzz.json");
  auto fast = FastDecodeJson(text, 100);
  // Skimmed (a List's items left as text), it is accepted exactly when read whole, and each
  // item's text reads as that item.
  auto skimmed = FastSkimJsonList(text, 100);
  WARREN_FUZZ_CHECK(skimmed.has_value() == fast.has_value(), "the skim and the fast reader accept different texts");
  if (!fast) return 0;
  const Json& items = Field(*fast, "items");
  WARREN_FUZZ_CHECK(skimmed->items.size() == (items.is_array() ? items.size() : 0), "item count");
  for (size_t i = 0; i < skimmed->items.size(); ++i) {
    const TextSpan& span = skimmed->items[i];
    WARREN_FUZZ_CHECK(SameTree(ParseJson(std::string_view(text).substr(span.offset, span.size)), items[i]),
                      "an item's text reads as another value");
  }
  Json slow = Json::parse(text, nullptr, false);
  WARREN_FUZZ_CHECK(!slow.is_discarded(), "the fast reader accepted what nlohmann's parser rejects");
  WARREN_FUZZ_CHECK(SameTree(*fast, slow), "the two readers built different trees");
  WARREN_FUZZ_CHECK(SameTree(ParseJson(text), slow), "ParseJson differs from Json::parse");
  return 0;
}
