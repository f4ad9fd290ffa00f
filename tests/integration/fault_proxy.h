// An HTTP proxy on loopback in front of one real server (a RabbitMQ node's management API, a git
// server; http or https, whose certificate it does not check: loopback, tests only), which
// can answer in the server's place: a status for matching requests, a connection cut mid-answer,
// going down for good after N requests (new connections refused), as a node that dies
// mid-sync does, or hanging (connections taken, nothing answered), as a stopped process does.
#pragma once

#include <httplib.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "tests/support/hang_switch.h"

namespace warren::testing {

class FaultProxy {
 public:
  struct Fault {
    std::string method, path_prefix;  // "" = any
    int status = 0;                   // 0: pass the server's answer on, cut halfway
    int times = 1;                    // -1: until the proxy is gone
  };

  // `upstream`: scheme://host:port
  explicit FaultProxy(const std::string& upstream) : upstream_(upstream) {
    upstream_.set_read_timeout(30, 0);
    upstream_.enable_server_certificate_verification(false);
    server_.set_error_handler([](const httplib::Request&, httplib::Response&) {});
    auto handle = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
    server_.Get(".*", handle);
    server_.Put(".*", handle);
    server_.Post(".*", handle);
    server_.Delete(".*", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FaultProxy() {
    Resume();
    server_.stop();
    if (thread_.joinable()) thread_.join();
    if (stopper_.joinable()) stopper_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void Add(Fault f) {
    std::lock_guard<std::mutex> lock(mu_);
    faults_.push_back(std::move(f));
  }
  // After `n` more requests the proxy stops listening; the request that finds it going is cut.
  void DownAfter(int n) { budget_ = n; }
  // Hung, as a node under SIGSTOP: connections are taken, requests never answered, until Resume().
  void Hang() { hang_.Hang(); }
  void Resume() { hang_.Resume(); }
  int forwarded() const { return forwarded_; }
  int faults_left() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(faults_.size());
  }

 private:
  // Promises `body` whole and sends half of it, then breaks the connection.
  static void Cut(httplib::Response& res, std::string body = "{\"cut\": true}",
                  const std::string& type = "application/json") {
    size_t size = body.size();
    res.set_content_provider(size, type, [body = std::move(body)](size_t offset, size_t, httplib::DataSink& sink) {
      if (offset == 0) sink.write(body.data(), body.size() / 2);
      return false;
    });
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    hang_.Pass();
    int budget = budget_.load();
    if (budget == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopper_.joinable()) stopper_ = std::thread([this] { server_.stop(); });
      return Cut(res);
    }
    if (budget > 0) --budget_;
    bool cut = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if ((!it->method.empty() && it->method != req.method) || req.path.rfind(it->path_prefix, 0) != 0) continue;
        Fault hit = *it;
        if (it->times > 0 && --it->times == 0) faults_.erase(it);
        if (hit.status == 0) {
          cut = true;  // the server's own answer, cut halfway
          break;
        }
        res.status = hit.status;
        res.set_content(R"({"error":"injected","reason":"fault proxy"})", "application/json");
        return;
      }
    }
    httplib::Headers headers;
    for (const char* h : {"Authorization", "Accept", "Git-Protocol"})  // (Content-Type goes with the body)
      if (req.has_header(h)) headers.emplace(h, req.get_header_value(h));
    const std::string& target = req.target;  // still percent-encoded: vhost "/" is %2F
    httplib::Result r =
        req.method == "GET"      ? upstream_.Get(target, headers)
        : req.method == "DELETE" ? upstream_.Delete(target, headers, req.body, req.get_header_value("Content-Type"))
        : req.method == "PUT"    ? upstream_.Put(target, headers, req.body, req.get_header_value("Content-Type"))
                                 : upstream_.Post(target, headers, req.body, req.get_header_value("Content-Type"));
    ++forwarded_;
    if (!r) return Cut(res);
    if (cut) return Cut(res, r->body, r->get_header_value("Content-Type"));
    res.status = r->status;
    for (const auto& [k, v] : r->headers)  // WWW-Authenticate, Cache-Control...; not how the body was framed
      if (k != "Content-Type" && k != "Content-Length" && k != "Transfer-Encoding" && k != "Content-Encoding" &&
          k != "Connection")
        res.headers.emplace(k, v);
    res.set_content(r->body, r->get_header_value("Content-Type"));
  }

  httplib::Client upstream_;
  httplib::Server server_;
  std::thread thread_, stopper_;
  int port_ = 0;
  mutable std::mutex mu_;
  HangSwitch hang_;
  std::deque<Fault> faults_;
  std::atomic<int> budget_{-1}, forwarded_{0};  // budget: requests left before going down; -1 = no end
};

}  // namespace warren::testing
