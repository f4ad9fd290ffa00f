// Test helpers for the real 3-node RabbitMQ cluster that tests/scripts/rabbitmq-cluster.sh runs
// (the ctest fixture `rabbitmq` starts it once per run). Setup and inspection go through the
// management API as guest; warren itself runs as its own user with a password the tests then look
// for in every output.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "agent/rabbitmq/management_client.h"
#include "tests/unit/run_warren.h"

namespace warren::testing {

inline const std::string kClusterScript = std::string(WARREN_SOURCE_DIR) + "/tests/scripts/rabbitmq-cluster.sh";

inline std::string ClusterUrls() {
  if (const char* env = std::getenv("WARREN_RMQ_URLS")) return env;
  std::string urls = Shell("bash " + kClusterScript + " urls").out;
  while (!urls.empty() && urls.back() == '\n') urls.pop_back();
  return urls;
}

// rabbitmqctl against node n (1..3).
inline RunResult Ctl(int node, const std::string& args) {
  return Shell("bash " + kClusterScript + " ctl " + std::to_string(node) + " " + args);
}

// The management API as guest, for arranging and checking state behind warren's back.
inline rabbitmq::ManagementClient& Admin() {
  static std::unique_ptr<rabbitmq::ManagementClient> client = [] {
    rabbitmq::ManagementConfig c;
    std::string urls = ClusterUrls();
    c.urls.push_back(urls.substr(0, urls.find(',')));  // node 1: queues declared here live here
    c.username = "guest";
    c.password = "guest";
    return std::move(rabbitmq::ManagementClient::Create(c)).value();
  }();
  return *client;
}

// A directory of manifests written by the test.
inline std::string ManifestDir(const std::string& name, const std::map<std::string, std::string>& files) {
  auto dir = std::filesystem::temp_directory_path() / ("warren-it-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& [file, text] : files) std::ofstream(dir / file) << text;
  return dir.string();
}

// Polls `done` every 500 ms until it holds or `seconds` pass; returns whether it held.
template <typename F>
bool Eventually(F done, int seconds = 30) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return done();
}

}  // namespace warren::testing
