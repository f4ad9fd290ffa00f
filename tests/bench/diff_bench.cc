// Decode + pair + normalise + diff over generated StatefulSet-sized objects: the desired side as
// YAML written by a person, the live side as the JSON List the API server returns (defaults,
// status, managedFields). Reports objects/s and the peak RSS while decoding and diffing (inputs held),
// in process and through the `warren diff` binary from files.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <benchmark/benchmark.h>

#include "tests/bench/peak_rss.h"

#include "diff/engine/diff.h"
#include "diff/model/loader.h"

namespace {

std::string DesiredYaml(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    std::string name = "rabbitmq-" + std::to_string(i);
    out += "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: " + name +
           "\n  namespace: dev\n  labels: {app.kubernetes.io/name: rabbitmq}\nspec:\n  serviceName: rabbitmq\n"
           "  replicas: 3\n  selector:\n    matchLabels: {app: " +
           name +
           "}\n  template:\n"
           "    metadata:\n      labels: {app: " +
           name +
           "}\n    spec:\n      serviceAccountName: rabbitmq\n"
           "      containers:\n      - name: rabbitmq\n        image: rabbitmq:3.13-management\n"
           "        ports:\n        - {name: amqp, containerPort: 5672}\n        - {name: management, containerPort: "
           "15672}\n"
           "        env:\n        - {name: RABBITMQ_USE_LONGNAME, value: \"true\"}\n"
           "        - {name: MY_POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
           "        - {name: RABBITMQ_NODENAME, value: \"rabbit@$(MY_POD_NAME).rabbitmq\"}\n"
           "        resources:\n          requests: {cpu: 500m, memory: 1Gi}\n          limits: {cpu: \"2\", memory: "
           "2Gi}\n"
           "        volumeMounts:\n        - {name: data, mountPath: /var/lib/rabbitmq/mnesia}\n"
           "  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n"
           "      resources:\n        requests: {storage: 5Gi}\n";
  }
  return out;
}

std::string LiveJson(int n) {
  warren::Json items = warren::Json::array();
  for (int i = 0; i < n; ++i) {
    std::string name = "rabbitmq-" + std::to_string(i);
    warren::Json c = {
        {"name", "rabbitmq"},
        {"image", "rabbitmq:3.13-management"},
        {"imagePullPolicy", "IfNotPresent"},
        {"ports",
         {{{"name", "amqp"}, {"containerPort", 5672}, {"protocol", "TCP"}},
          {{"name", "management"}, {"containerPort", 15672}, {"protocol", "TCP"}}}},
        {"env",
         {{{"name", "RABBITMQ_USE_LONGNAME"}, {"value", "true"}},
          {{"name", "MY_POD_NAME"},
           {"valueFrom", {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "metadata.name"}}}}}},
          {{"name", "RABBITMQ_NODENAME"}, {"value", "rabbit@$(MY_POD_NAME).rabbitmq"}}}},
        {"resources",
         {{"requests", {{"cpu", "500m"}, {"memory", "1Gi"}}}, {"limits", {{"cpu", "2"}, {"memory", "2Gi"}}}}},
        {"volumeMounts", {{{"name", "data"}, {"mountPath", "/var/lib/rabbitmq/mnesia"}}}},
        {"terminationMessagePath", "/dev/termination-log"},
        {"terminationMessagePolicy", "File"}};
    items.push_back(
        {{"metadata",
          {{"name", name},
           {"namespace", "dev"},
           {"uid", "0b0c5e4e-1d1b-4427-8292-" + std::to_string(100000000000 + i)},
           {"resourceVersion", std::to_string(1000 + i)},
           {"generation", 1},
           {"labels", {{"app.kubernetes.io/name", "rabbitmq"}}},
           {"managedFields",
            {{{"manager", "warren"},
              {"operation", "Apply"},
              {"apiVersion", "apps/v1"},
              {"fieldsType", "FieldsV1"},
              {"fieldsV1",
               {{"f:spec", {{"f:replicas", warren::Json::object()}, {"f:serviceName", warren::Json::object()}}}}}}}}}},
         {"spec",
          {{"serviceName", "rabbitmq"},
           {"replicas", i % 10 == 0 ? 5 : 3},
           {"revisionHistoryLimit", 10},
           {"podManagementPolicy", "OrderedReady"},
           {"selector", {{"matchLabels", {{"app", name}}}}},
           {"updateStrategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"partition", 0}}}}},
           {"template",
            {{"metadata", {{"labels", {{"app", name}}}, {"creationTimestamp", nullptr}}},
             {"spec",
              {{"serviceAccountName", "rabbitmq"},
               {"serviceAccount", "rabbitmq"},
               {"containers", {c}},
               {"dnsPolicy", "ClusterFirst"},
               {"restartPolicy", "Always"},
               {"schedulerName", "default-scheduler"},
               {"securityContext", warren::Json::object()},
               {"terminationGracePeriodSeconds", 30}}}}},
           {"volumeClaimTemplates",
            {{{"apiVersion", "v1"},
              {"kind", "PersistentVolumeClaim"},
              {"metadata", {{"name", "data"}, {"creationTimestamp", nullptr}}},
              {"spec",
               {{"accessModes", {"ReadWriteOnce"}},
                {"volumeMode", "Filesystem"},
                {"resources", {{"requests", {{"storage", "5Gi"}}}}}}},
              {"status", {{"phase", "Pending"}}}}}}}},
         {"status",
          {{"replicas", 3}, {"readyReplicas", 3}, {"currentRevision", name + "-7d9f"}, {"observedGeneration", 1}}}});
  }
  return warren::Json({{"apiVersion", "apps/v1"}, {"kind", "StatefulSetList"}, {"items", items}}).dump();
}

// `live_as_text`: the live List's items kept as text and each read for its own pair, as
// `warren diff --live-file` reads a large captured state (LoadOptions::defer_list_items_above).
void DecodePairNormaliseDiff(benchmark::State& state, bool live_as_text) {
  const int n = static_cast<int>(state.range(0));
  const std::string desired_text = DesiredYaml(n);
  std::string live_text = LiveJson(n);
  const size_t live_bytes = live_text.size();
  warren::InMemoryFileTree live_file;  // read as from disk: each Read copies the text
  live_file.Add("live.json", std::move(live_text));
  warren::LoadOptions live_options;
  live_options.defer_list_items_above = live_as_text ? 0 : SIZE_MAX;
  warren::bench::ResetPeakRss();
  size_t drifted = 0;
  for (auto _ : state) {
    auto desired = warren::ObjectsFromText(desired_text, "desired.yaml");
    auto live = warren::LoadManifests(live_file, {"live.json"}, live_options);
    if (!desired.ok() || !live.ok()) {
      state.SkipWithError("decode failed");
      return;
    }
    warren::diff::DiffReport report = warren::diff::Diff(desired.value(), live.value());
    drifted = report.Count(warren::diff::Action::kUpdate);
    benchmark::DoNotOptimize(report);
  }
  if (drifted != static_cast<size_t>((n + 9) / 10)) state.SkipWithError("unexpected drift count");
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["peak_rss_MB"] = warren::bench::PeakRssMB();
  state.counters["input_MB"] = static_cast<double>(desired_text.size() + live_bytes) / 1e6;
}

void BM_DecodePairNormaliseDiff(benchmark::State& state) { DecodePairNormaliseDiff(state, false); }
void BM_DecodePairNormaliseDiffLiveAsText(benchmark::State& state) { DecodePairNormaliseDiff(state, true); }

BENCHMARK(BM_DecodePairNormaliseDiff)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodePairNormaliseDiffLiveAsText)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// One pair as the agent's drift lane diffs it, on a live StatefulSet a real API server returned
// with three managers' managedFields (nearly half the object): desired is what was applied.
void BM_DiffObjectWithManagedFields(benchmark::State& state) {
  std::ifstream in(std::string(WARREN_SOURCE_DIR) + "/tests/fixtures/live-fixtures/statefulset-keycloak-ssa-live.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto live = warren::ObjectsFromText(text, "live.yaml");
  if (!live.ok() || live.value().size() != 1) {
    state.SkipWithError("cannot read the live fixture");
    return;
  }
  warren::Json applied = live.value()[0].doc();
  applied.erase("status");
  applied["metadata"].erase("managedFields");
  warren::Object desired(applied, warren::SourceLocation{"desired"});
  for (auto _ : state) benchmark::DoNotOptimize(warren::diff::DiffObject(desired, &live.value()[0], {}));
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_DiffObjectWithManagedFields)->Unit(benchmark::kMicrosecond);

// The whole `warren diff FILE --live-file LIST` as a user runs it: read and decode both files from
// disk, load, plan, render. The child's wall time and peak RSS are the figures;
// `vs_1000` is its time over the 1,000-object run's (linear would be 10 at 10,000).
double g_time_at_1000 = 0;

void BM_CliDiffFromFiles(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  char dir_template[] = "/tmp/warren-diff-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string desired = dir + "/desired.yaml", live = dir + "/live.json";
  std::ofstream(desired) << DesiredYaml(n);
  std::ofstream(live) << LiveJson(n);
  // Through GNU time: a child spawned from this process would inherit its peak RSS at exec.
  const std::string rss_file = dir + "/rss";
  const char* argv[] = {"/usr/bin/time", "-f",          "%M",         "-o", rss_file.c_str(), WARREN_BINARY, "diff",
                        desired.c_str(), "--live-file", live.c_str(), "-o", "json",           nullptr};
  double peak_mb = 0, seconds = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char* const*>(argv), environ) != 0) {
      state.SkipWithError("cannot start warren");
      break;
    }
    posix_spawn_file_actions_destroy(&actions);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(took.count());
    seconds = took.count();
    // The last line; GNU time writes "Command exited with non-zero status 1" before it.
    std::ifstream rss_in(rss_file);
    std::string line, last;
    while (std::getline(rss_in, line))
      if (!line.empty()) last = line;
    double child_kb = std::atof(last.c_str());
    peak_mb = std::max(peak_mb, child_kb / 1024.0);
    // 1: drift found (one in ten StatefulSets has other replicas), which is what is expected.
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 1) {
      state.SkipWithError("warren diff did not report the expected drift");
      break;
    }
  }
  std::filesystem::remove_all(dir);
  if (n == 1000) g_time_at_1000 = seconds;
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["peak_rss_MB"] = peak_mb;
  if (n > 1000 && g_time_at_1000 > 0) state.counters["vs_1000"] = seconds / g_time_at_1000;
}

BENCHMARK(BM_CliDiffFromFiles)->Arg(100)->Arg(1000)->Arg(10000)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
