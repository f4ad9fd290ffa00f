// Runs `warren run` as a process for a test: its log (stderr and stdout) in a file, a free
// loopback port for its listener, SIGTERM or SIGKILL to stop it, and its endpoints over HTTP.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/net/http_client.h"

extern char** environ;

namespace warren::testing {

inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

class AgentProcess {
 public:
  // `args` after "warren run"; `env` as NAME=VALUE pairs added to this process's environment.
  // `prefix` runs before the binary (a wrapper that execs "$0" "$@").
  AgentProcess(const std::string& log_file, std::vector<std::string> args, std::vector<std::string> env = {},
               std::vector<std::string> prefix = {})
      : log_(log_file), port_(FreePort()) {
    std::vector<std::string> argv_s = prefix;
    for (std::string a : {std::string(WARREN_BINARY), std::string("run"), std::string("--listen"),
                          "127.0.0.1:" + std::to_string(port_)})
      argv_s.push_back(a);
    for (auto& a : args) argv_s.push_back(a);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) env_s.push_back(*e);
    for (auto& e : env) env_s.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~AgentProcess() { Kill(SIGKILL); }

  // Sends `sig` and waits; returns the exit code (-1 when killed by a signal) and how long it took.
  std::pair<int, double> Kill(int sig) {
    if (pid_ <= 0) return {-1, 0};
    auto start = std::chrono::steady_clock::now();
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, seconds};
  }
  bool Running() {
    if (pid_ <= 0) return false;
    int status;
    return waitpid(pid_, &status, WNOHANG) == 0;
  }

  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // GET on the listener: {status, body}; status 0 when it does not answer.
  std::pair<long, std::string> Get(const std::string& path) const {
    net::HttpClientOptions o;
    o.timeout_ms = 5000;
    net::HttpClient http(o);
    auto r = http.Send({"GET", "http://127.0.0.1:" + std::to_string(port_) + path, {}, ""});
    if (!r.ok()) return {0, r.status().message()};
    return {r.value().status, r.value().body};
  }
  // The value of one metric series as /metrics shows it (the line's text before the value), or -1.
  double Metric(const std::string& series) const {
    std::stringstream in(Get("/metrics").second);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  std::string log_;
  int port_;
  pid_t pid_ = 0;
};

}  // namespace warren::testing
