#include "agent/forge/commit_status.h"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>

#include "diff/model/object.h"

namespace warren::forge {
namespace {

std::string GitLabState(State s) {
  switch (s) {
    case State::kPending:
      return "running";
    case State::kSuccess:
      return "success";
    default:
      return "failed";
  }
}

// Forges show about 140 characters; cut on a character boundary (UTF-8 continuation bytes kept).
std::string Description(const std::string& d) {
  if (d.size() <= 140) return d;
  size_t cut = 137;
  while (cut > 0 && (static_cast<unsigned char>(d[cut]) & 0xC0) == 0x80) --cut;
  return d.substr(0, cut) + "...";
}

// The token in `file`, without the line end a Secret or an editor leaves.
Result<std::string> ReadToken(const std::string& file) {
  std::ifstream in(file);
  if (!in) return Status::Io("commit status token file " + file + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) return Status::Invalid("commit status token file " + file + " is empty");
  return token;
}

}  // namespace

const char* StateName(State s) {
  switch (s) {
    case State::kPending:
      return "pending";
    case State::kSuccess:
      return "success";
    case State::kFailure:
      return "failure";
    case State::kError:
      return "error";
  }
  return "?";
}

Result<std::unique_ptr<StatusReporter>> StatusReporter::Create(StatusOptions o) {
  if (o.provider != "github" && o.provider != "gitea" && o.provider != "gitlab")
    return Status::Invalid("commit status provider must be github, gitea or gitlab, not \"" + o.provider + "\"");
  if (o.api_url.rfind("https://", 0) != 0 && o.api_url.rfind("http://", 0) != 0)
    return Status::Invalid("commit status API URL must be http(s): " + o.api_url);
  while (!o.api_url.empty() && o.api_url.back() == '/') o.api_url.pop_back();
  if (o.provider != "gitlab" && std::count(o.repo.begin(), o.repo.end(), '/') != 1)
    return Status::Invalid("commit status repository must be owner/name, not \"" + o.repo + "\"");
  if (o.repo.empty()) return Status::Invalid("commit status repository is empty");
  WARREN_ASSIGN_OR_RETURN(std::string token, ReadToken(o.token_file));
  return std::unique_ptr<StatusReporter>(new StatusReporter(std::move(o), std::move(token)));
}

StatusReporter::StatusReporter(StatusOptions options, std::string token)
    : o_(std::move(options)), token_(std::move(token)) {
  net::HttpClientOptions h;
  h.timeout_ms = o_.timeout_ms;
  h.ca_file = o_.ca_file;
  http_ = std::make_unique<net::HttpClient>(h);
  thread_ = std::thread([this] { Run(); });
}

StatusReporter::~StatusReporter() {
  stop_.RequestStop();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t StatusReporter::posted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return posted_;
}

void StatusReporter::Report(const std::string& sha, const std::string& context, State state,
                            const std::string& description) {
  if (sha.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = std::make_pair(sha, context);
    auto it = last_.find(key);
    if (it != last_.end() && it->second == Seen(context, state, description)) return;  // never the same twice
    last_[key] = Seen(context, state, description);
    // A newer state for the same (sha, context) replaces one still waiting.
    std::erase_if(queue_, [&](const Item& i) { return i.sha == sha && i.context == context; });
    queue_.push_back({sha, context, Description(description), state});
  }
  cv_.notify_all();
}

bool StatusReporter::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return queue_.empty() && !busy_; });
}

std::string StatusReporter::Wire(State s) const { return o_.provider == "gitlab" ? GitLabState(s) : StateName(s); }

// A context's state is posted once per commit. warren/rollout also says how far it got: a new
// description in the same state is posted too, except to GitLab, which refuses a state the
// commit's status already has.
std::string StatusReporter::Seen(const std::string& context, State s, const std::string& description) const {
  if (context != "warren/rollout" || o_.provider == "gitlab") return Wire(s);
  return Wire(s) + "\n" + Description(description);
}

net::HttpRequest StatusReporter::Request(const Item& item) const {
  net::HttpRequest req;
  req.method = "POST";
  req.stop = stop_.token();
  req.headers["Content-Type"] = "application/json";
  req.headers["User-Agent"] = "warren/0.1";
  Json body = {{"description", item.description}};
  if (!o_.target_url.empty()) body["target_url"] = o_.target_url;
  if (o_.provider == "gitlab") {
    req.url = o_.api_url + "/projects/" + net::EscapePathSegment(o_.repo) + "/statuses/" + item.sha;
    req.headers["PRIVATE-TOKEN"] = token_;
    body["state"] = Wire(item.state);
    body["name"] = item.context;
  } else {
    req.url = o_.api_url + "/repos/" + o_.repo + "/statuses/" + item.sha;
    if (o_.provider == "github") {
      req.headers["Authorization"] = "Bearer " + token_;
      req.headers["Accept"] = "application/vnd.github+json";
      req.headers["X-GitHub-Api-Version"] = "2022-11-28";
    } else {
      req.headers["Authorization"] = "token " + token_;
    }
    body["state"] = Wire(item.state);
    body["context"] = item.context;
  }
  req.body = body.dump();
  return req;
}

Status StatusReporter::Post(const Item& item) {
  std::string what = std::string(StateName(item.state)) + " " + item.context + " on " + item.sha.substr(0, 12);
  auto wait = o_.backoff;
  for (int attempt = 1;; ++attempt) {
    RefreshToken();
    auto reply = http_->Send(Request(item));
    std::string why;
    std::chrono::milliseconds pause = wait;
    if (reply.ok() && reply.value().status / 100 == 2) return Status::Ok();
    if (!reply.ok()) {
      if (reply.status().code() == StatusCode::kCancelled) return reply.status();
      why = "unreachable";  // the URL is ours; the message could carry nothing secret, but keep it short
    } else {
      long code = reply.value().status;
      const auto& h = reply.value().headers;
      bool limited = code == 429 || (code == 403 && (h.count("retry-after") || (h.count("x-ratelimit-remaining") &&
                                                                                h.at("x-ratelimit-remaining") == "0")));
      if (code < 500 && !limited) {
        std::string detail = reply.value().body.size() > 200 ? reply.value().body.substr(0, 200) : reply.value().body;
        return Status(StatusCode::kInvalidArgument, "post " + what + ": " + std::to_string(code) + " " + detail);
      }
      why = std::to_string(code);
      if (limited) {
        if (h.count("retry-after"))
          pause = std::chrono::seconds(std::atol(h.at("retry-after").c_str()));
        else if (h.count("x-ratelimit-reset"))
          pause = std::chrono::seconds(std::max(0L, std::atol(h.at("x-ratelimit-reset").c_str()) - std::time(nullptr)));
        else if (h.count("ratelimit-reset"))
          pause = std::chrono::seconds(std::atol(h.at("ratelimit-reset").c_str()));
        pause = std::min<std::chrono::milliseconds>(pause, o_.max_wait);
        why += " (rate limited)";
      }
    }
    if (attempt >= o_.max_attempts)
      return Status::Unavailable("post " + what + ": gave up after " + std::to_string(attempt) + " attempts (" + why +
                                 ")");
    if (o_.log)
      o_.log("commit status retried", what + ": " + why + ", again in " + std::to_string(pause.count()) + " ms");
    if (!(o_.clock ? *o_.clock : Clock::Real()).SleepFor(pause, stop_.token())) return Status::Cancelled("stopped");
    wait = std::min(wait * 2, std::chrono::milliseconds(30000));
  }
}

// The file is read before every attempt, so a rotated token (a Secret mounted or written anew) is
// used without a restart. A file that cannot be read leaves the last token in use, said once.
void StatusReporter::RefreshToken() {
  auto token = ReadToken(o_.token_file);
  if (token.ok()) {
    token_ = std::move(token).value();
    token_error_.clear();
    return;
  }
  if (token.status().message() == token_error_) return;
  token_error_ = token.status().message();
  if (o_.log) o_.log("commit status token not reread; the last one is used", token_error_);
}

void StatusReporter::Run() {
  while (true) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stop_.stop_requested(); });
      if (stop_.stop_requested()) return;
      item = queue_.front();
      queue_.pop_front();
      busy_ = true;
    }
    Status s = Post(item);
    {
      std::lock_guard<std::mutex> lock(mu_);
      busy_ = false;
      if (s.ok()) ++posted_;
      // Not posted: forget it, so the same state may be reported again later.
      else if (last_[{item.sha, item.context}] == Seen(item.context, item.state, item.description))
        last_.erase({item.sha, item.context});
    }
    cv_.notify_all();
    if (!s.ok() && s.code() != StatusCode::kCancelled && o_.log) o_.log("commit status not posted", s.message());
  }
}

}  // namespace warren::forge
