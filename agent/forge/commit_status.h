// Commit statuses on GitHub, Gitea/Forgejo or GitLab, from their documented REST APIs:
//   GitHub  POST {api}/repos/{owner}/{repo}/statuses/{sha}   Authorization: Bearer; states
//   error|failure|pending|success Gitea   POST {api}/repos/{owner}/{repo}/statuses/{sha}   Authorization: token GitLab
//   POST {api}/projects/{id}/statuses/{sha}          PRIVATE-TOKEN; states pending|running|success|failed|canceled;
//           `name` is the context; posting the state a status already has is refused (400)
// Reports are queued and posted by a thread of their own, so a forge that is slow or down never
// holds up a reconcile. The same state is never posted twice for one (commit, context); 5xx and
// network errors are retried with backoff, 403/429 wait for Retry-After or x-ratelimit-reset;
// other refusals are logged and dropped. The token is read from a file before each post (so a
// rotated one is used without a restart) and never printed.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/net/http_client.h"
#include "agent/util/cancel.h"

namespace warren::forge {

enum class State { kPending, kSuccess, kFailure, kError };
const char* StateName(State s);

struct StatusOptions {
  std::string provider;  // github | gitea | gitlab
  std::string api_url;   // https://api.github.com, https://HOST/api/v1, https://HOST/api/v4
  std::string repo;      // owner/name; GitLab: the numeric id or group/name
  std::string token_file;
  std::string ca_file;
  std::string target_url;  // optional link shown with the status
  long timeout_ms = 10000;
  int max_attempts = 6;
  std::chrono::milliseconds backoff{500};
  std::chrono::seconds max_wait{300};                                          // the longest rate-limit wait honoured
  std::function<void(const std::string& msg, const std::string& detail)> log;  // failures, retries
  const Clock* clock = nullptr;                                                // retry waits (default: real)
};

// Where the agent's commit statuses go: the seam between the agent and the forges
// (tests/unit/source_loop_test.cc records them).
class StatusSink {
 public:
  virtual ~StatusSink() = default;
  // Returns at once; the sink posts when it can.
  virtual void Report(const std::string& sha, const std::string& context, State state,
                      const std::string& description) = 0;
};

class StatusReporter : public StatusSink {
 public:
  // Fails on an unknown provider, a malformed URL or repo, or a token file that cannot be read.
  static Result<std::unique_ptr<StatusReporter>> Create(StatusOptions options);
  ~StatusReporter();

  // Queues a status; returns at once. A state equal to the last one posted (or queued) for the
  // same (sha, context) is dropped.
  void Report(const std::string& sha, const std::string& context, State state, const std::string& description) override;
  // Waits until the queue is empty or `timeout` passes (one-shot commands before they exit).
  bool Flush(std::chrono::milliseconds timeout);
  size_t posted() const;

 private:
  struct Item {
    std::string sha, context, description;
    State state;
  };
  explicit StatusReporter(StatusOptions options, std::string token);
  void Run();
  // One status, with its retries. Ok, or why it was given up.
  Status Post(const Item& item);
  void RefreshToken();
  net::HttpRequest Request(const Item& item) const;

  StatusOptions o_;
  std::string token_;        // the reporter thread's own, after Create
  std::string token_error_;  // why the file was last not read, said once
  std::unique_ptr<net::HttpClient> http_;
  StopSource stop_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool busy_ = false;
  // (sha, context) → the state last posted or queued, as the forge spells it (GitLab has one
  // "failed" for failure and error, and refuses it twice).
  std::map<std::pair<std::string, std::string>, std::string> last_;
  std::string Wire(State s) const;
  std::string Seen(const std::string& context, State s, const std::string& description) const;
  size_t posted_ = 0;
  std::thread thread_;
};

}  // namespace warren::forge
