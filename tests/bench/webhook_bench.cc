// Webhook received -> change applied -> `warren/sync success` posted, on loopback: warren run on
// the reference set (the API emulator, the local 3-node RabbitMQ cluster, a git repository), a
// commit adding a queue, its signed GitHub push webhook, and the time until the forge stand-in
// holds success for that commit. Median of N (default 10). Reports; asserts nothing.
//   build/tests/webhook_bench [N]      (needs tests/scripts/rabbitmq-cluster.sh start)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "agent/webhook/webhook.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/emulator_process.h"
#include "tests/integration/forge_stub.h"
#include "tests/integration/rabbit_cluster.h"

using namespace warren;
using namespace warren::testing;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10;
  EmulatorProcess emu("webhook-bench");
  if (!emu.ok()) return 2;
  std::string dir = emu.dir(), work = dir + "/repo";
  auto git = [&](const std::string& args) {
    return Shell("git -c user.name=b -c user.email=b@example.com -C " + work + " " + args);
  };
  Shell("git init -q -b main " + work);
  fs::copy(std::string(WARREN_SOURCE_DIR) + "/manifests", work + "/manifests", fs::copy_options::recursive);
  std::ofstream(work + "/manifests/namespace.yaml") << "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n";
  git("add -A");
  git("commit -qm reference");
  std::ofstream(dir + "/secret") << "bench-secret\n";
  std::ofstream(dir + "/token") << "bench-token\n";
  std::ofstream(dir + "/rabbitmq") << "guest:guest\n";
  ForgeStub forge("bench-token");
  std::string url = "file://" + work;
  AgentProcess agent(dir + "/agent.log",
                     {"--repo",
                      url,
                      "--path",
                      "manifests",
                      "--cache-dir",
                      dir + "/cache",
                      "-n",
                      "dev",
                      "--interval",
                      "1h",
                      "--health-interval",
                      "1h",
                      "--force-conflicts",
                      "--prune",
                      "--rabbitmq-url",
                      ClusterUrls(),
                      "--rabbitmq-credentials-file",
                      dir + "/rabbitmq",
                      "--webhook-secret-file",
                      dir + "/secret",
                      "--status-provider",
                      "github",
                      "--status-api-url",
                      forge.url("github"),
                      "--status-repo",
                      "org/app",
                      "--status-token-file",
                      dir + "/token"},
                     {"KUBECONFIG=" + emu.kubeconfig()});
  if (!Eventually([&] { return agent.Get("/readyz").first == 200; }, 120)) {
    std::fprintf(stderr, "agent not ready:\n%s\n", agent.Log().c_str());
    return 2;
  }
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    std::ofstream(work + "/manifests/rabbitmq/queue-bench.yaml")
        << "apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: bench, namespace: dev}\n"
        << "spec: {name: bench." << i
        << ", vhost: orders, durable: true, rabbitmqClusterReference: {name: rabbitmq}}\n";
    git("add -A");
    git("commit -qm bench");
    std::string sha = ReadText(work + "/.git/refs/heads/main");
    std::string body = Json{{"ref", "refs/heads/main"}, {"after", sha}, {"repository", {{"clone_url", url}}}}.dump();
    net::HttpClient http({});
    auto start = std::chrono::steady_clock::now();
    (void)http.Send({"POST",
                     "http://127.0.0.1:" + std::to_string(agent.port()) + "/hooks/github",
                     {{"X-GitHub-Event", "push"},
                      {"X-GitHub-Delivery", "bench-" + std::to_string(i)},
                      {"X-Hub-Signature-256", "sha256=" + webhook::HmacSha256Hex("bench-secret", body)}},
                     body});
    while (true) {
      auto s = forge.States(sha, "warren/sync");
      if (!s.empty() && s.back() == "success") break;
      if (std::chrono::steady_clock::now() - start > std::chrono::seconds(30)) {
        std::fprintf(stderr, "no success within 30 s:\n%s\n", agent.Log().c_str());
        return 2;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  agent.Kill(SIGTERM);
  (void)Admin().Delete("/api/queues/orders/bench." + std::to_string(n - 1));
  std::sort(ms.begin(), ms.end());
  std::printf("webhook -> applied -> warren/sync success posted, %d runs: median %.0f ms, min %.0f ms, max %.0f ms\n",
              n, ms[ms.size() / 2], ms.front(), ms.back());
  return 0;
}
