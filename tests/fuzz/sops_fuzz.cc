// The SOPS and age readers on hostile input: a SOPS file (YAML and JSON) opened with the published
// Flux test key and inspected without one, the age armor, header and payload, identity files, and
// ENC values. Nothing may crash or hang; what parses must round-trip.
#include "diff/model/decode.h"
#include "diff/sops/age.h"
#include "diff/sops/sops.h"
#include "diff/sops/values.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// The identity fluxcd/kustomize-controller publishes for its test fixtures (tests/fixtures/sops).
constexpr const char* kFluxTestIdentity = "AGE-SECRET-KEY-10U7MAELH09KZU63F65P2TYLN7TQM5X6GSDDCQ4YMUGDS3DS6XZMSTYY2PN";

const warren::sops::Keyring& Keys() {
  static const warren::sops::Keyring keys = [] {
    warren::sops::Keyring k;
    auto set = warren::sops::ParseIdentities(kFluxTestIdentity, "fuzz");
    if (set.ok()) k.Add(std::move(set).value(), "fuzz");
    return k;
  }();
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren;
  using namespace warren::sops;
  std::string text = fuzz::Text(data, size);

  for (Format f : {Format::kYaml, Format::kJson}) {
    auto opened = Open(text, f, Keys());
    if (opened.ok()) {
      WARREN_FUZZ_CHECK(opened.value().data_key.size() == 32, "an opened file has a 32-byte data key");
      WARREN_FUZZ_CHECK(opened.value().documents >= 1, "an opened file has a document");
    }
    (void)Inspect(text, f);
  }

  auto binary = Dearmor(text);
  if (binary.ok()) {
    auto again = Dearmor(Armor(binary.value()));
    WARREN_FUZZ_CHECK(again.ok() && again.value() == binary.value(), "armor round-trips");
  }
  const Keyring& keys = Keys();
  std::vector<const AgeIdentity*> ids{&keys.identities[0]};
  AgeResult r = DecryptAge(text, ids);
  WARREN_FUZZ_CHECK((r.failure == AgeFailure::kNone) == r.reason.empty(), "a failure has a reason, a success none");
  (void)AgeStanzaTypes(text);
  (void)ParseIdentities(text, "fuzz", size % 2 == 0);

  if (auto b = DecodeBech32(text)) {
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    WARREN_FUZZ_CHECK(EncodeBech32(b->hrp, b->data) == lower, "Bech32 round-trips");
  }
  if (auto enc = ParseEnc(text)) {
    std::string back = "ENC[AES256_GCM,data:" + EncodeBase64(enc->data, true) + ",iv:" + EncodeBase64(enc->iv, true) +
                       ",tag:" + EncodeBase64(enc->tag, true) + ",type:" + enc->type + "]";
    WARREN_FUZZ_CHECK(back == text, "an ENC value round-trips");
  }
  for (bool padded : {true, false})
    if (auto bytes = DecodeBase64Strict(text, padded))
      WARREN_FUZZ_CHECK(EncodeBase64(*bytes, padded) == text, "strict base64 is canonical");
  (void)ResolveYaml12(text);
  (void)LastModifiedAad(text);
  (void)DecodeTyped(text, size % 3 == 0 ? "float" : size % 3 == 1 ? "int" : "bool");
  return 0;
}
