// Decrypting SOPS files against reading the same content in plaintext: one Secret of N values
// (encrypted under ^(data|stringData)$), loaded through the manifest loader either way. The ratio
// is what SOPS adds to a reconcile's load; compare it with the load of the repository as a whole.
#include <string>

#include <benchmark/benchmark.h>

#include "diff/model/loader.h"
#include "diff/sops/decryptor.h"
#include "tests/support/sops_writer.h"

namespace {

using OJson = nlohmann::ordered_json;

OJson Secret(int values) {
  OJson data = OJson::object();
  for (int i = 0; i < values; ++i) data["key-" + std::to_string(i)] = "value-" + std::to_string(i) + "-of-some-length";
  return OJson{{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", {{"name", "bench"}, {"namespace", "dev"}}},
               {"type", "Opaque"},
               {"stringData", data}};
}

struct Inputs {
  warren::testing::SopsKey key = warren::testing::NewSopsKey();
  warren::sops::Keyring keys;
  std::string sealed, plain, plain_yaml;
};

const Inputs& Make(int values) {
  static std::map<int, Inputs> cache;
  auto [it, inserted] = cache.try_emplace(values);
  if (inserted) {
    Inputs& in = it->second;
    in.keys.Add(std::move(warren::sops::ParseIdentities(in.key.identity, "bench")).value(), "bench");
    in.sealed = warren::testing::SopsWriter({in.key}).Yaml({Secret(values)});
    in.plain = Secret(values).dump();
    in.plain_yaml =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: bench\n  namespace: dev\ntype: Opaque\nstringData:\n";
    OJson doc = Secret(values);
    for (auto kv = doc["stringData"].begin(); kv != doc["stringData"].end(); ++kv)
      in.plain_yaml += "  " + kv.key() + ": " + kv.value().dump() + "\n";
  }
  return it->second;
}

void BM_LoadEncrypted(benchmark::State& state) {
  const Inputs& in = Make(static_cast<int>(state.range(0)));
  warren::InMemoryFileTree tree;
  tree.Add("secret.yaml", in.sealed);
  for (auto _ : state) {
    warren::sops::SopsDecryptor decryptor({&in.keys, false});
    warren::LoadOptions options;
    options.decryptor = &decryptor;
    auto objects = warren::LoadManifests(tree, {"secret.yaml"}, options);
    if (!objects.ok()) state.SkipWithError(objects.status().message().c_str());
    benchmark::DoNotOptimize(objects);
  }
  state.counters["values/s"] =
      benchmark::Counter(static_cast<double>(state.range(0)), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = static_cast<double>(in.sealed.size());
}

void BM_LoadPlaintext(benchmark::State& state, bool json) {
  const Inputs& in = Make(static_cast<int>(state.range(0)));
  warren::InMemoryFileTree tree;
  std::string file = json ? "secret.json" : "secret.yaml";
  tree.Add(file, json ? in.plain : in.plain_yaml);
  for (auto _ : state) {
    auto objects = warren::LoadManifests(tree, {file});
    benchmark::DoNotOptimize(objects);
  }
  state.counters["values/s"] =
      benchmark::Counter(static_cast<double>(state.range(0)), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_LoadEncrypted)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LoadPlaintext, yaml, false)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LoadPlaintext, json, true)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
