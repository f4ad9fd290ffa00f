// The whole stack for the agent's end-to-end tests: the API emulator, the real RabbitMQ cluster
// (warren's own user on it), a real git server (git-http-backend behind lighttpd, HTTPS and basic
// auth) holding the reference set with its namespace and a Secret, and a real Prometheus on demand.
// Also the forge-side helpers: a signed push delivery and its body.
#pragma once

#include <fcntl.h>

#include <map>

#include "tests/integration/agent_process.h"
#include "tests/integration/emulator_process.h"
#include "tests/integration/forge_stub.h"
#include "tests/integration/rabbit_cluster.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

const std::string kUser = "warren-agent-it";
const std::string kPassword = "Agent-pw-5d1e7a29-never-printed";
constexpr const char* kSecretValue = "agent-e2e-s3cr3t-value";

inline std::string Read(const std::string& path) { return ReadText(path); }

class AgentEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = &EmulatorProcess::Shared("agent-e2e", EmulatorFlags());
    ASSERT_TRUE(emu_->ok());
    dir_ = emu_->dir();
    ASSERT_TRUE(srv_error_.empty()) << srv_error_;
    // The broker: warren's own user; the vhost and inventories of earlier runs gone.
    Clean();
    ASSERT_TRUE(Admin().Put("/api/users/" + kUser, {{"password", kPassword}, {"tags", "administrator"}}).ok());
    ASSERT_TRUE(
        Admin().Put("/api/permissions/%2F/" + kUser, {{"configure", ".*"}, {"write", ".*"}, {"read", ".*"}}).ok());
    std::ofstream(dir_ + "/rabbitmq-credentials") << kUser << ":" << kPassword << "\n";
    // The repository: the reference manifests, their namespace and a Secret, behind HTTPS.
    std::ofstream(dir_ + "/git-auth") << "git:" << Read(Srv() + "/password") << "\n";
    fs::remove_all(Srv() + "/repos/app.git");  // the previous test's
    Git("init -q -b main " + Work());
    fs::create_directories(Work() + "/deploy");
    fs::copy(std::string(WARREN_SOURCE_DIR) + "/manifests", Work() + "/deploy", fs::copy_options::recursive);
    std::ofstream(Work() + "/deploy/namespace.yaml") << "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n";
    std::ofstream(Work() + "/deploy/secret.yaml")
        << "apiVersion: v1\nkind: Secret\nmetadata: {name: rabbitmq-credentials, namespace: dev}\n"
        << "stringData: {username: admin, password: " << kSecretValue << ", erlang-cookie: " << kSecretValue << "}\n";
    Commit("reference set");
    Git("clone -q --bare " + Work() + " " + Srv() + "/repos/app.git");
  }
  // The git servers, once per test program: each test puts its own repository behind them.
  static void SetUpTestSuite() {
    srv_ = (fs::temp_directory_path() / ("warren-git-servers-" + std::to_string(getpid()))).string();
    RunResult servers = Shell("bash " + std::string(WARREN_SOURCE_DIR) + "/tests/scripts/git-servers.sh start " + srv_);
    if (servers.exit_code != 0) srv_error_ = servers.out;
    for (std::stringstream env(Read(srv_ + "/env")); !env.eof();) {
      std::string line;
      std::getline(env, line);
      if (line.rfind("HTTPS_PORT=", 0) == 0) https_port_ = line.substr(11);
    }
  }
  static void TearDownTestSuite() {
    Shell("bash " + std::string(WARREN_SOURCE_DIR) + "/tests/scripts/git-servers.sh stop " + srv_);
    fs::remove_all(srv_);
  }
  static const std::string& Srv() { return srv_; }
  virtual std::vector<std::string> EmulatorFlags() const { return {}; }
  void TearDown() override {
    if (HasFailure()) std::cerr << "git server log:\n" << Read(Srv() + "/run/lighttpd.log") << "\n";
    if (prometheus_pid_ > 0) kill(prometheus_pid_, SIGTERM);
    Clean();
  }
  static void Clean() {
    (void)Admin().Delete("/api/vhosts/orders");
    (void)Admin().Delete("/api/global-parameters/warren-inventory");
  }
  std::string Work() const { return dir_ + "/work"; }
  bool prune_ = true;  // Run() with --prune
  void Git(const std::string& args) {
    RunResult r = Shell("git -c user.name=t -c user.email=t@example.com " + args);
    ASSERT_EQ(r.exit_code, 0) << "git " << args << "\n" << r.out;
  }
  std::string Commit(const std::string& message) {
    Git("-C " + Work() + " add -A");
    Git("-C " + Work() + " commit -q -m '" + message + "'");
    if (fs::exists(Srv() + "/repos/app.git")) Git("-C " + Work() + " push -q " + Srv() + "/repos/app.git HEAD:main");
    return Read(Work() + "/.git/refs/heads/main");
  }
  std::unique_ptr<AgentProcess> Run(std::vector<std::string> extra = {}, const std::string& interval = "2s") {
    std::vector<std::string> args = {"--repo",
                                     "https://127.0.0.1:" + https_port_ + "/git/app.git",
                                     "--auth-file",
                                     dir_ + "/git-auth",
                                     "--ca-file",
                                     Srv() + "/ca.crt",
                                     "--path",
                                     "deploy",
                                     "--cache-dir",
                                     dir_ + "/cache",
                                     "-n",
                                     "dev",
                                     "--rabbitmq-url",
                                     ClusterUrls(),
                                     "--rabbitmq-credentials-file",
                                     dir_ + "/rabbitmq-credentials",
                                     "--interval",
                                     interval,
                                     "--health-interval",
                                     "2s",
                                     "--timeout",
                                     "60s",
                                     "--force-conflicts"};
    if (prune_) args.push_back("--prune");
    for (auto& e : extra) args.push_back(e);
    return std::make_unique<AgentProcess>(dir_ + "/agent.log", args,
                                          std::vector<std::string>{"KUBECONFIG=" + emu_->kubeconfig()});
  }
  // A real Prometheus scraping the agent every second; its query API answers on `port`.
  int StartPrometheus(int agent_port) {
    int port = FreePort();
    std::ofstream(dir_ + "/prometheus.yml") << "global: {scrape_interval: 1s}\nscrape_configs:\n- job_name: warren\n"
                                            << "  static_configs: [{targets: ['127.0.0.1:" << agent_port << "']}]\n";
    std::vector<std::string> a = {"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
                                  "--storage.tsdb.path=" + dir_ + "/tsdb",
                                  "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"};
    std::vector<char*> argv;
    for (auto& s : a) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ + "/prometheus.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&prometheus_pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) prometheus_pid_ = 0;
    posix_spawn_file_actions_destroy(&fa);
    return port;
  }

  EmulatorProcess* emu_ = nullptr;  // shared by the program's tests, reset for each
  std::string dir_;
  static inline std::string srv_, srv_error_, https_port_;
  pid_t prometheus_pid_ = 0;
};

const std::string kWebhookSecret = "hook-secret-0c8e51d2";
const std::string kForgeToken = "forge-token-93b7f1aa";

// POSTs a webhook delivery to the agent; returns the HTTP status.
inline long Deliver(const AgentProcess& agent, const std::string& forge,
                    const std::map<std::string, std::string>& headers, const std::string& body) {
  net::HttpClient http({});
  net::HttpRequest req{"POST", "http://127.0.0.1:" + std::to_string(agent.port()) + "/hooks/" + forge, headers, body};
  req.headers["Content-Type"] = "application/json";
  auto r = http.Send(req);
  return r.ok() ? r.value().status : 0;
}

inline std::string PushBody(const std::string& repo_url, const std::string& sha, bool gitlab = false) {
  Json repo = {{"clone_url", repo_url}, {"full_name", "org/app"}};
  if (gitlab)
    return Json{
        {"object_kind", "push"}, {"ref", "refs/heads/main"}, {"after", sha}, {"project", {{"git_http_url", repo_url}}}}
        .dump();
  return Json{{"ref", "refs/heads/main"}, {"after", sha}, {"repository", repo}}.dump();
}

}  // namespace
}  // namespace warren::testing
