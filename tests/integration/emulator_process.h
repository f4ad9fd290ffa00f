// Runs the warren-emulator binary for a test program: a fresh state directory, a port chosen by the
// kernel, an RBAC-limited token for the service account dev/warren, stopped with SIGTERM. Gives
// kubectl (with its own discovery cache) and the admin endpoints to the tests.
//
// Shared() starts one emulator per test program (and set of flags) and resets it for each test:
// ctest runs a test program as one process, so the process starts once, not once per TEST.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "agent/net/http_client.h"
#include "diff/model/object.h"
#include "tests/unit/run_warren.h"

extern char** environ;

namespace warren::testing {

inline const char* kLimitedToken = "limited-token-for-dev-warren";

class EmulatorProcess {
 public:
  explicit EmulatorProcess(const std::string& name, std::vector<std::string> extra = {}) {
    // One directory per emulator: ctest runs test programs two at a time.
    static int instances = 0;
    dir_ = (std::filesystem::temp_directory_path() /
            ("warren-emulator-" + name + "-" + std::to_string(getpid()) + "-" + std::to_string(++instances)))
               .string();
    std::filesystem::remove_all(dir_);
    std::vector<std::string> args = {WARREN_EMULATOR,
                                     "--state-dir",
                                     dir_,
                                     "--tick-ms",
                                     "100",
                                     "--token",
                                     std::string(kLimitedToken) + "=system:serviceaccount:dev:warren"};
    for (auto& e : extra) args.push_back(e);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = 0;
    for (int i = 0; i < 600 && port_ <= 0; ++i) {  // 30 s on a busy machine
      std::ifstream(dir_ + "/port") >> port_;
      if (port_ <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::ifstream kc(dir_ + "/kubeconfig");
    for (std::string line; std::getline(kc, line);)
      if (line.find("token: ") != std::string::npos && admin_token_.empty())
        admin_token_ = line.substr(line.find("token: ") + 7);
  }
  ~EmulatorProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // The emulator for this test program with these flags, reset to its freshly started state:
  // no objects but the built-in Namespaces, no faults, an empty request log, and nothing in
  // dir() but the emulator's own files. Lives until the program exits.
  static EmulatorProcess& Shared(const std::string& name, const std::vector<std::string>& extra = {}) {
    static std::map<std::vector<std::string>, std::unique_ptr<EmulatorProcess>> running;
    auto& e = running[extra];
    if (!e || !e->ok()) e = std::make_unique<EmulatorProcess>(name, extra);
    e->Reset();
    return *e;
  }
  void Reset() const {
    if (!ok()) return;
    Admin("POST", "/emulator/reset");
    static const std::set<std::string> kOwn = {"ca.crt",    "kubeconfig", "admin.crt",
                                               "admin.key", "port",       "kubectl-cache"};
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec))
      if (!kOwn.count(entry.path().filename().string())) std::filesystem::remove_all(entry.path(), ec);
  }

  bool ok() const { return pid_ > 0 && port_ > 0; }
  const std::string& dir() const { return dir_; }
  std::string kubeconfig() const { return dir_ + "/kubeconfig"; }
  std::string server() const { return "https://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // kubectl against this emulator; stdout and stderr together.
  RunResult Kubectl(const std::string& args) const {
    return Shell("kubectl --kubeconfig " + kubeconfig() + " --cache-dir " + dir_ + "/kubectl-cache " + args);
  }
  // `kubectl get WHAT -o json` parsed; null when kubectl fails (NotFound, say).
  Json KubectlGet(const std::string& what) const {
    RunResult r = Kubectl("get " + what + " -o json");
    return r.exit_code == 0 ? Json::parse(r.out) : Json();
  }
  // warren with KUBECONFIG pointing here.
  RunResult Warren(const std::string& args) const {
    return Shell("KUBECONFIG=" + kubeconfig() + " " + std::string(WARREN_BINARY) + " " + args);
  }

  // The admin endpoints: the request log and fault injection.
  Json Admin(const std::string& method, const std::string& path, const std::string& body = "") const {
    net::HttpClientOptions o;
    o.ca_file = dir_ + "/ca.crt";
    net::HttpClient http(o);
    auto r = http.Send({method,
                        server() + path,
                        {{"Authorization", "Bearer " + admin_token_}, {"Content-Type", "application/json"}},
                        body});
    return r.ok() ? Json::parse(r.value().body, nullptr, false) : Json();
  }
  void ClearLog() const { Admin("DELETE", "/emulator/requests"); }
  Json Log() const { return Admin("GET", "/emulator/requests")["requests"]; }

  static RunResult Shell(const std::string& cmd) { return warren::testing::Shell(cmd); }

 private:
  std::string dir_;
  pid_t pid_ = 0;
  int port_ = 0;
  std::string admin_token_;
};

inline std::string WriteTemp(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / ("warren-it-" + name);
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
  return p.string();
}

inline bool Has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

}  // namespace warren::testing
