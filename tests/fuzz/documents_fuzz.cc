// Documents read from JSON: RabbitMQ definitions files (rabbitmqctl export_definitions) and the
// ignoreDifferences rules file.
#include "diff/engine/ignore.h"
#include "diff/model/decode.h"
#include "diff/rabbit/definitions.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren;
  auto doc = DecodeJson(fuzz::Text(data, size), "fuzz.json");
  if (!doc.ok()) return 0;
  (void)rabbit::StateFromDefinitions(doc.value().value, "fuzz.json");
  (void)diff::ParseIgnoreConfig(doc.value().value, "fuzz.json");
  return 0;
}
