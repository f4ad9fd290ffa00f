// A scripted RabbitMQ management API (rabbitmq::ManagementApi) for unit tests: an empty 3.10
// broker whose nodes the test sets running or not, whose writes are accepted and counted, and
// which can hang (every request blocks, as against a SIGSTOPped node) until resumed or until the
// client's stop token fires. Connect() makes a client per call, as rabbitmq::Connect does.
// Safe to share between threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/rabbitmq/connect.h"
#include "agent/rabbitmq/management_api.h"
#include "tests/support/hang_switch.h"

namespace warren::testing {

class FakeRabbit {
 public:
  void SetNodes(int running, int total) {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = running;
    total_ = total;
  }
  void Hang() { hang_.Hang(); }
  void Resume() { hang_.Resume(); }
  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Requests blocked by Hang() right now.
  int hanging() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hanging_;
  }
  // Waits (real time, at most `timeout`) until `n` requests are blocked by Hang().
  bool WaitForHanging(int n, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    return entered_.wait_for(lock, timeout, [&] { return hanging_ >= n; });
  }

  Result<std::unique_ptr<rabbitmq::ManagementApi>> Connect(const rabbitmq::ConnectOptions& o) {
    return std::unique_ptr<rabbitmq::ManagementApi>(std::make_unique<Client>(this, o));
  }

 private:
  class Client : public rabbitmq::ManagementApi {
   public:
    Client(FakeRabbit* broker, const rabbitmq::ConnectOptions& o) : b_(broker), stop_(o.stop), urls_(o.urls) {}
    Result<Json> Get(const std::string& path) override {
      WARREN_RETURN_IF_ERROR(b_->Enter(stop_, "GET " + path));
      return b_->Answer(path);
    }
    Result<std::string> GetText(const std::string& path) override {
      WARREN_ASSIGN_OR_RETURN(auto j, Get(path));
      return j.dump();
    }
    Status Put(const std::string& path, const Json&) override { return b_->Enter(stop_, "PUT " + path); }
    Status Post(const std::string& path, const Json&) override { return b_->Enter(stop_, "POST " + path); }
    Status Delete(const std::string& path) override { return b_->Enter(stop_, "DELETE " + path); }
    Result<net::HttpResponse> GetFromNode(size_t, const std::string& path) override {
      WARREN_RETURN_IF_ERROR(b_->Enter(stop_, "GET " + path));
      net::HttpResponse r;
      r.status = 200;
      r.body = R"({"status":"ok"})";
      return r;
    }
    const std::vector<std::string>& urls() const override { return urls_; }

   private:
    FakeRabbit* b_;
    StopToken stop_;
    std::vector<std::string> urls_;
  };

  // Counts the request; blocks while hung (kCancelled when the client's stop fires meanwhile).
  Status Enter(const StopToken& stop, const std::string& what) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_;
      ++hanging_;
    }
    entered_.notify_all();
    bool passed = hang_.Pass([&] { return stop.stop_requested(); });
    std::lock_guard<std::mutex> lock(mu_);
    --hanging_;
    if (!passed || stop.stop_requested()) return Status::Cancelled(what + ": stopped (fake)");
    return Status::Ok();
  }
  Result<Json> Answer(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    if (path == "/api/nodes") {
      Json nodes = Json::array();
      for (int i = 1; i <= total_; ++i)
        nodes.push_back({{"name", "rabbit" + std::to_string(i) + "@localhost"},
                         {"running", i <= running_},
                         {"partitions", Json::array()},
                         {"mem_alarm", false},
                         {"disk_free_alarm", false}});
      return nodes;
    }
    if (path == "/api/definitions")
      return Json{{"rabbitmq_version", "3.10.8"},      {"vhosts", Json::array()},   {"users", Json::array()},
                  {"permissions", Json::array()},      {"queues", Json::array()},   {"exchanges", Json::array()},
                  {"bindings", Json::array()},         {"policies", Json::array()}, {"parameters", Json::array()},
                  {"global_parameters", Json::array()}};
    if (path == "/api/vhosts" || path == "/api/operator-policies" || path == "/api/vhost-limits" ||
        path == "/api/policies" || path.rfind("/api/queues", 0) == 0)
      return Json::array();
    return Status::NotFound("GET " + path + ": 404 (fake)");
  }

  mutable std::mutex mu_;
  HangSwitch hang_;
  mutable std::condition_variable entered_;
  int running_ = 3, total_ = 3;
  int requests_ = 0, hanging_ = 0;
};

}  // namespace warren::testing
