// Mirror status over a large cluster: parse a /api/queues?disable_stats=true listing of N queues
// (as 3.10.8 returns them: classic mirrored, quorum and plain queues) and judge every queue.
// Reports queues/s and the process's peak RSS while it works (input included, its generation not). Target: 20,000
// queues under 1 s and 100 MB.
#include <string>

#include <benchmark/benchmark.h>

#include "tests/bench/peak_rss.h"

#include "diff/rabbit/cluster_health.h"

namespace {

const char* kNodes[] = {"rabbit1@rabbitmq-0.rabbitmq.dev", "rabbit2@rabbitmq-1.rabbitmq.dev",
                        "rabbit3@rabbitmq-2.rabbitmq.dev"};

// One listing entry with the fields the management API sends in that mode (about 700 bytes).
std::string QueueJson(int i) {
  std::string name = "\"ha.orders-" + std::to_string(i) + "\"";
  std::string n0 = std::string("\"") + kNodes[i % 3] + "\"", n1 = std::string("\"") + kNodes[(i + 1) % 3] + "\"",
              n2 = std::string("\"") + kNodes[(i + 2) % 3] + "\"";
  std::string common =
      R"("arguments":{},"auto_delete":false,"durable":true,"exclusive":false,"vhost":"orders",)"
      R"("consumer_capacity":0,"consumer_utilisation":0,"consumers":0,"effective_policy_definition":{},)"
      R"("exclusive_consumer_tag":null,"memory":25440,"message_bytes":35,"message_bytes_paged_out":0,)"
      R"("message_bytes_persistent":35,"message_bytes_ram":35,"message_bytes_ready":35,)"
      R"("message_bytes_unacknowledged":0,"messages":5,"messages_paged_out":0,"messages_persistent":5,)"
      R"("messages_ram":5,"messages_ready":5,"messages_ready_ram":5,"messages_unacknowledged":0,)"
      R"("messages_unacknowledged_ram":0,"operator_policy":null,"reductions":37422,"state":"running",)";
  if (i % 10 == 0)  // a quorum queue
    return "{" + common + R"("type":"quorum","name":)" + name + R"(,"leader":)" + n0 + R"(,"members":[)" + n0 + "," +
           n1 + "," + n2 + R"(],"online":[)" + n0 + "," + n1 + "," + n2 + "]}";
  bool unsynced = i % 97 == 0;
  return "{" + common + R"("type":"classic","name":)" + name + R"(,"policy":"ha-all","node":)" + n0 +
         R"(,"slave_nodes":[)" + n1 + "," + n2 + R"(],"synchronised_slave_nodes":[)" + n1 + (unsynced ? "" : "," + n2) +
         R"(],"recoverable_slaves":[)" + n1 + "," + n2 + "]}";
}

std::string Listing(int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) out += (i ? "," : "") + QueueJson(i);
  return out + "]";
}

void BM_MirrorStatus(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::string listing = Listing(n);
  listing.shrink_to_fit();
  warren::bench::ResetPeakRss();
  warren::Json nodes = warren::Json::array();
  for (const char* name : kNodes)
    nodes.push_back({{"name", name}, {"running", true}, {"partitions", warren::Json::array()}});
  warren::Json policies = warren::Json::parse(
      R"([{"vhost":"orders","name":"ha-all","pattern":"^ha\\.","definition":{"ha-mode":"all","ha-sync-mode":"automatic"}}])");
  size_t unhealthy = 0;
  for (auto _ : state) {
    auto queues = warren::rabbit::ParseQueueListing(listing);
    if (!queues.ok()) {
      state.SkipWithError("parse failed");
      return;
    }
    warren::rabbit::HealthInputs in;
    in.nodes = nodes;
    in.policies = policies;
    in.expected_nodes = 3;
    in.queues = std::move(queues).value();
    warren::rabbit::ClusterHealth h = warren::rabbit::AssessHealth(in);
    unhealthy = h.problems.size();
    benchmark::DoNotOptimize(h);
  }
  size_t want = 0;
  for (int i = 0; i < n; ++i) want += i % 97 == 0 && i % 10 != 0;
  if (unhealthy != want) state.SkipWithError("unexpected number of unsynchronised queues");
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["peak_rss_MB"] = warren::bench::PeakRssMB();
  state.counters["input_MB"] = static_cast<double>(listing.size()) / 1e6;
}

BENCHMARK(BM_MirrorStatus)->Arg(1000)->Arg(20000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
