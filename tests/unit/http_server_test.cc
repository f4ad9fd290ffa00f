// net::HttpServer over loopback: routing, the limits a public listener needs (head and body
// deadlines, a size cap answered before the body is read, a cap on connections that makes room
// for a client that sends its request at once), and requests it refuses to parse.
#include "agent/net/http_server.h"

#include <map>
#include <mutex>
#include <optional>

#include <gtest/gtest.h>

#include "agent/net/http_client.h"
#include "tests/support/raw_client.h"

namespace warren::net {
namespace {

using testing::RawClient;

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions o = {}) {
    o.on_refused = [this](const std::string& reason, const std::string&) {
      std::lock_guard<std::mutex> lock(mu_);
      ++refused_[reason];
    };
    server_ = std::make_unique<HttpServer>(o);
    server_->Handle("GET", "/healthz", [](const ServerRequest&, ServerResponse& res) { res.body = "ok\n"; });
    server_->Handle("POST", "/hooks/github", [](const ServerRequest& req, ServerResponse& res) {
      res.status = 202;
      res.body = req.Header("x-github-event") + ":" + req.body;
    });
    ASSERT_TRUE(server_->Listen("127.0.0.1:0").ok());
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  Result<HttpResponse> Send(const std::string& method, const std::string& path, const std::string& body = "",
                            long timeout_ms = 5000) {
    HttpClientOptions o;
    o.timeout_ms = timeout_ms;
    HttpClient http(o);
    return http.Send({method, Url(path), {{"X-GitHub-Event", "push"}, {"Content-Type", "application/json"}}, body});
  }
  int Refused(const std::string& reason) {
    std::lock_guard<std::mutex> lock(mu_);
    return refused_[reason];
  }

  std::mutex mu_;
  std::map<std::string, int> refused_;
  // Last, so destroyed first: its threads call on_refused, which uses the members above.
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, RoutesByPathAndMethodAndReadsHeadersWhateverTheirCase) {
  Start();
  auto ok = Send("GET", "/healthz?verbose=1");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok.value().status, 200);
  EXPECT_EQ(ok.value().body, "ok\n");
  auto hook = Send("POST", "/hooks/github", R"({"ref":"refs/heads/main"})");
  ASSERT_TRUE(hook.ok());
  EXPECT_EQ(hook.value().status, 202);
  EXPECT_EQ(hook.value().body, R"(push:{"ref":"refs/heads/main"})");
  EXPECT_EQ(Send("GET", "/nothing").value().status, 404);
  EXPECT_EQ(Send("POST", "/healthz").value().status, 405);
}

TEST_F(HttpServerTest, ABodyOverTheLimitIsRefusedFromItsLengthAndTheClientHearsIt) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  Start(o);
  auto big = Send("POST", "/hooks/github", std::string(200000, 'x'));
  ASSERT_TRUE(big.ok()) << big.status().message();
  EXPECT_EQ(big.value().status, 413);
  EXPECT_EQ(Refused("too_large"), 1);
  EXPECT_EQ(Send("POST", "/hooks/github", std::string(1000, 'x')).value().status, 202);
}

TEST_F(HttpServerTest, MalformedAndChunkedRequestsAreRefused) {
  Start();
  RawClient garbage(server_->port());
  garbage.Send("NONSENSE\r\n\r\n");
  EXPECT_EQ(garbage.ReadToClose(5000).value_or("").rfind("HTTP/1.1 400 ", 0), 0u);
  RawClient chunked(server_->port());
  chunked.Send("POST /hooks/github HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.ReadToClose(5000).value_or("").rfind("HTTP/1.1 411 ", 0), 0u);
  RawClient huge_head(server_->port());
  huge_head.Send("GET /healthz HTTP/1.1\r\nX-Long: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(huge_head.ReadToClose(5000).value_or("").rfind("HTTP/1.1 431 ", 0), 0u);
  EXPECT_EQ(Refused("bad_request"), 2);
}

TEST_F(HttpServerTest, AHeadOrBodyNotSentInTimeClosesTheConnection) {
  HttpServerOptions o;
  o.header_timeout = std::chrono::milliseconds(200);
  o.body_timeout = std::chrono::milliseconds(200);
  Start(o);
  RawClient slow_head(server_->port());
  slow_head.Send("POST /hooks/github HTTP/1.1\r\nHost: x\r\n");  // and nothing more
  RawClient slow_body(server_->port());
  slow_body.Send("POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(slow_head.ReadToClose(5000).value_or("").rfind("HTTP/1.1 408 ", 0), 0u);
  EXPECT_EQ(slow_body.ReadToClose(5000).value_or("").rfind("HTTP/1.1 408 ", 0), 0u);
  EXPECT_EQ(Refused("timeout"), 2);
}

TEST_F(HttpServerTest, AtTheConnectionCapTheLongestReaderMakesRoomForAWholeRequest) {
  HttpServerOptions o;
  o.max_connections = 8;
  Start(o);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 40; ++i) {
    idle.push_back(std::make_unique<RawClient>(server_->port()));
    ASSERT_TRUE(idle.back()->connected());
    idle.back()->Send("POST /hooks/github HTTP/1.1\r\n");  // a head begun, never finished
  }
  auto hook = Send("POST", "/hooks/github", "{}");
  ASSERT_TRUE(hook.ok()) << hook.status().message();
  EXPECT_EQ(hook.value().status, 202);
  EXPECT_GE(Refused("evicted"), 32);
  EXPECT_EQ(idle.front()->ReadToClose(1000), std::optional<std::string>(""));  // closed at once, unanswered
}

}  // namespace
}  // namespace warren::net
