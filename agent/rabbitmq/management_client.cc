#include "agent/rabbitmq/management_client.h"

#include <chrono>
#include <random>
#include <thread>

namespace warren::rabbitmq {
namespace {

std::string Unescape(std::string s) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += std::string(to).size())
      s.replace(pos, std::string(from).size(), to);
  }
  // "Validation failed\n\n<<...>> is not ...\n" reads better as one line: its non-empty lines
  // joined with ": ".
  std::string out, line;
  auto flush = [&] {
    size_t b = line.find_first_not_of(" \t"), e = line.find_last_not_of(" \t");
    if (b != std::string::npos) out += (out.empty() ? "" : ": ") + line.substr(b, e - b + 1);
    line.clear();
  };
  for (char c : s) {
    if (c == '\n')
      flush();
    else
      line += c;
  }
  flush();
  return out;
}

bool Retryable(long status) { return status == 500 || status == 502 || status == 503 || status == 504; }

}  // namespace

Status ErrorFromReply(const std::string& method, const std::string& path, long status, const std::string& body) {
  std::string detail;
  Json j = Json::parse(body, nullptr, false);
  if (j.is_object()) {
    std::string error = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
    std::string reason;
    if (j.contains("reason")) reason = j["reason"].is_string() ? j["reason"].get<std::string>() : j["reason"].dump();
    detail = error;
    if (!reason.empty() && reason != error) detail += (detail.empty() ? "" : ": ") + Unescape(reason);
  } else if (!body.empty() && body.size() < 200 && body.find('<') == std::string::npos) {
    detail = body;
  }
  if (detail.empty() && status == 401) detail = "no or wrong credentials";
  std::string message = method + " " + path + ": " + std::to_string(status) + (detail.empty() ? "" : " " + detail);
  return Status(net::StatusCodeForHttp(status), message);
}

std::string ApiPath(const std::string& collection, const std::string& vhost, const std::string& name) {
  std::string out = "/api/" + collection + "/" + net::EscapePathSegment(vhost);
  if (!name.empty()) out += "/" + net::EscapePathSegment(name);
  return out;
}

Result<std::unique_ptr<ManagementClient>> ManagementClient::Create(ManagementConfig config) {
  if (config.urls.empty()) return Status::Invalid("RabbitMQ: no management URL given");
  for (std::string& url : config.urls) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      return Status::Invalid("RabbitMQ: management URL must start with http:// or https://: " + url);
    size_t host_start = url.find("://") + 3;
    size_t at = url.find('@', host_start);
    if (at != std::string::npos && at < url.find('/', host_start))
      return Status::Invalid("RabbitMQ: management URL must not contain credentials (use a credentials file)");
    while (url.size() > host_start && url.back() == '/') url.pop_back();
  }
  return std::unique_ptr<ManagementClient>(new ManagementClient(std::move(config)));
}

ManagementClient::ManagementClient(ManagementConfig config) : config_(std::move(config)) {
  if (!config_.clock) config_.clock = &Clock::Real();
  Connect();
}

size_t ManagementClient::requests_sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_sent_;
}

void ManagementClient::Connect() {
  nodes_.clear();
  net::HttpClientOptions o;
  o.timeout_ms = config_.timeout_ms;
  o.connect_timeout_ms = std::min(config_.timeout_ms, 3000L);
  o.ca_file = config_.ca_file;
  o.username = config_.username;
  o.password = config_.password;
  for (size_t i = 0; i < config_.urls.size(); ++i) nodes_.push_back(std::make_unique<net::HttpClient>(o));
}

Result<net::HttpResponse> ManagementClient::Send(const std::string& method, const std::string& path,
                                                 const std::string& body) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu_);
  std::string failures;
  const size_t n = nodes_.size();
  bool reloaded = false;
  for (int round = 0; round <= config_.retries; ++round) {
    if (round > 0) {
      long wait = config_.backoff_ms << (round - 1);
      wait += std::uniform_int_distribution<long>(0, wait / 2)(rng);
      if (!config_.clock->SleepFor(std::chrono::milliseconds(wait), config_.stop))
        return Status::Cancelled(method + " " + path + ": stopped");
    }
    for (size_t i = 0; i < n; ++i) {
      size_t node = (current_ + i) % n;
      net::HttpRequest req{method, config_.urls[node] + path, {}, body, config_.stop};
      if (!body.empty()) req.headers["content-type"] = "application/json";
      ++requests_sent_;
      auto reply = nodes_[node]->Send(req);
      if (!reply.ok() && reply.status().code() == StatusCode::kCancelled) return reply.status();
      if (reply.ok() && reply.value().status == 401 && !reloaded && config_.reload_credentials) {
        // The Secret may have been rotated: read it again and ask the same node once more.
        reloaded = true;
        auto fresh = config_.reload_credentials();
        if (fresh.ok()) {
          config_.username = fresh.value().username;
          config_.password = fresh.value().password;
          Connect();
          reply = nodes_[node]->Send(req);
          ++requests_sent_;
        }
      }
      if (!reply.ok()) {
        failures = reply.status().message();
        continue;  // connection refused or timed out: the next node
      }
      if (Retryable(reply.value().status) && !(round == config_.retries && i + 1 == n)) {
        failures = ErrorFromReply(method, path, reply.value().status, reply.value().body).message();
        continue;
      }
      current_ = node;
      return reply;
    }
  }
  return Status::Unavailable(method + " " + path + ": no RabbitMQ management node answered (last error: " + failures +
                             ")");
}

Result<std::string> ManagementClient::GetText(const std::string& path) {
  WARREN_ASSIGN_OR_RETURN(auto reply, Send("GET", path, ""));
  if (reply.status / 100 != 2) return ErrorFromReply("GET", path, reply.status, reply.body);
  return std::move(reply).body;
}

Result<Json> ManagementClient::Get(const std::string& path) {
  WARREN_ASSIGN_OR_RETURN(auto text, GetText(path));
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::Invalid("GET " + path + ": the answer is not JSON");
  return j;
}

Status ManagementClient::Write(const std::string& method, const std::string& path, const std::string& body) {
  WARREN_ASSIGN_OR_RETURN(auto reply, Send(method, path, body));
  if (reply.status / 100 != 2) return ErrorFromReply(method, path, reply.status, reply.body);
  return Status::Ok();
}

Status ManagementClient::Put(const std::string& path, const Json& body) { return Write("PUT", path, body.dump()); }
Status ManagementClient::Post(const std::string& path, const Json& body) { return Write("POST", path, body.dump()); }
Status ManagementClient::Delete(const std::string& path) { return Write("DELETE", path, ""); }

Result<net::HttpResponse> ManagementClient::GetFromNode(size_t node, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (node >= nodes_.size()) return Status::Invalid("no management node " + std::to_string(node));
  ++requests_sent_;
  return nodes_[node]->Send(net::HttpRequest{"GET", config_.urls[node] + path, {}, "", config_.stop});
}

}  // namespace warren::rabbitmq
