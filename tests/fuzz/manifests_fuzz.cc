// Manifests as the loader reads them (YAML or JSON), then every lint rule and the diff of the
// objects against themselves, which must find nothing to change. Two things a live object never
// looks like are left out: a Namespace without the kubernetes.io/metadata.name label, and a
// Secret with stringData (the server merges it into data). Objects lint finds misshapen (which
// the API server refuses) only have to be read without a crash.
#include "diff/check/lint.h"
#include "diff/check/rules.h"
#include "diff/engine/diff.h"
#include "diff/model/loader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren;
  std::string text = fuzz::Text(data, size);
  for (const char* file : {"fuzz.yaml", "fuzz.json"}) {
    LoadOptions options;
    options.decode.record_positions = file[5] == 'y';
    auto objects = ObjectsFromText(text, file, options);
    if (!objects.ok() || !CheckUniqueIdentities(objects.value()).ok()) continue;
    (void)check::Lint(objects.value());
    std::vector<Object> live = objects.value();
    std::erase_if(live, [](const Object& o) {
      const Json& meta = Field(o.doc(), "metadata");
      bool unlabelled_namespace =
          o.kind() == "Namespace" && Field(Field(meta, "labels"), "kubernetes.io/metadata.name") != Field(meta, "name");
      return unlabelled_namespace || (o.kind() == "Secret" && o.doc().contains("stringData")) ||
             check::ShapeProblem(o).has_value();
    });
    diff::DiffReport self = diff::Diff(live, live);
    for (const auto& d : self.objects)
      for (const auto& c : d.changes)
        WARREN_FUZZ_CHECK(false, ("an object differs from itself: " + d.DisplayName() + " " + c.field).c_str());
  }
  return 0;
}
