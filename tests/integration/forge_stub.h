// A stand-in for the commit-status APIs of GitHub, Gitea and GitLab, over real HTTP on loopback,
// as their REST documentation describes them, refusing what they refuse: a wrong token (401), an
// unknown state or a missing one (422 / 400), a description over 140 characters (422), a sha that
// is not 40 hex digits (422), and on GitLab the state a status already has (400 "Cannot
// transition status"). Faults can be queued: 502s, a 403 or 429 with Retry-After. Every status
// accepted is kept, in order, for the test to read.
#pragma once

#include <httplib.h>

#include <deque>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "diff/model/object.h"

namespace warren::testing {

struct PostedStatus {
  std::string forge, repo, sha, context, state, description, target_url;
};

class ForgeStub {
 public:
  explicit ForgeStub(std::string token, int port = 0) : token_(std::move(token)) {
    server_.Get("/statuses", [this](const httplib::Request&, httplib::Response& r) {  // what was posted, for people
      Json out = Json::array();
      for (const auto& st : Statuses())
        out.push_back({{"forge", st.forge},
                       {"sha", st.sha},
                       {"context", st.context},
                       {"state", st.state},
                       {"description", st.description}});
      r.set_content(out.dump(2) + "\n", "application/json");
    });
    server_.Post(R"(/github/repos/([^/]+/[^/]+)/statuses/([^/]+))",
                 [this](const httplib::Request& q, httplib::Response& r) {
                   Handle("github", q, r, Authorized(q, "Authorization", "Bearer "),
                          {"error", "failure", "pending", "success"}, "context");
                 });
    server_.Post(R"(/gitea/api/v1/repos/([^/]+/[^/]+)/statuses/([^/]+))",
                 [this](const httplib::Request& q, httplib::Response& r) {
                   Handle("gitea", q, r, Authorized(q, "Authorization", "token "),
                          {"pending", "success", "error", "failure", "warning"}, "context");
                 });
    server_.Post(R"(/gitlab/api/v4/projects/([^/]+)/statuses/([^/]+))",
                 [this](const httplib::Request& q, httplib::Response& r) {
                   Handle("gitlab", q, r, Authorized(q, "PRIVATE-TOKEN", ""),
                          {"pending", "running", "success", "failed", "canceled"}, "name");
                 });
    port_ = port ? (server_.bind_to_port("127.0.0.1", port) ? port : 0) : server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~ForgeStub() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url(const std::string& forge) const {
    std::string base = "http://127.0.0.1:" + std::to_string(port_) + "/" + forge;
    return forge == "github" ? base : forge == "gitea" ? base + "/api/v1" : base + "/api/v4";
  }
  // The next `n` requests get `status` (with Retry-After `retry_after` seconds when > 0).
  void Fail(int n, int status, int retry_after = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < n; ++i) faults_.push_back({status, retry_after});
  }
  std::vector<PostedStatus> Statuses() const {
    std::lock_guard<std::mutex> lock(mu_);
    return statuses_;
  }
  // The states posted for (sha, context), in order.
  std::vector<std::string> States(const std::string& sha, const std::string& context) const {
    std::vector<std::string> out;
    for (const auto& s : Statuses())
      if (s.sha == sha && s.context == context) out.push_back(s.state);
    return out;
  }
  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // From now on only `token` is accepted (a rotated token).
  void SetToken(std::string token) {
    std::lock_guard<std::mutex> lock(mu_);
    token_ = std::move(token);
  }
  std::vector<std::string> Authorizations() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_auth_;
  }

 private:
  bool Authorized(const httplib::Request& q, const char* header, const std::string& scheme) const {
    std::lock_guard<std::mutex> lock(mu_);
    return q.get_header_value(header) == scheme + token_;
  }
  void Handle(const std::string& forge, const httplib::Request& q, httplib::Response& r, bool authorized,
              const std::vector<std::string>& states, const char* context_key) {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    if (!faults_.empty()) {
      auto [status, retry_after] = faults_.front();
      faults_.pop_front();
      r.status = status;
      if (retry_after > 0) r.set_header("Retry-After", std::to_string(retry_after));
      r.set_content(R"({"message":"injected"})", "application/json");
      return;
    }
    auto reply = [&](int status, const std::string& message) {
      r.status = status;
      r.set_content(Json{{"message", message}}.dump(), "application/json");
    };
    if (!authorized) return reply(401, "Bad credentials");
    std::string sha = q.matches[2];
    if (!std::regex_match(sha, std::regex("[0-9a-f]{40}"))) return reply(422, "sha must be 40 hex digits");
    Json body = Json::parse(q.body, nullptr, false);
    if (!body.is_object()) return reply(400, "body must be JSON");
    std::string state = body.value("state", "");
    if (std::find(states.begin(), states.end(), state) == states.end())
      return reply(forge == "gitlab" ? 400 : 422, "state is invalid");
    std::string description = body.value("description", "");
    if (description.size() > 140) return reply(422, "description is too long (maximum is 140 characters)");
    std::string context = body.value(context_key, "default");
    if (forge == "gitlab") {
      for (auto it = statuses_.rbegin(); it != statuses_.rend(); ++it)
        if (it->forge == forge && it->sha == sha && it->context == context) {
          if (it->state == state) return reply(400, "Cannot transition status via :" + state + " from :" + state);
          break;
        }
    }
    statuses_.push_back({forge, q.matches[1], sha, context, state, description, body.value("target_url", "")});
    seen_auth_.push_back(forge);
    r.status = 201;
    r.set_content(Json{{"state", state}, {"context", context}}.dump(), "application/json");
  }

  std::string token_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::deque<std::pair<int, int>> faults_;
  std::vector<PostedStatus> statuses_;
  std::vector<std::string> seen_auth_;
  int requests_ = 0;
};

}  // namespace warren::testing
