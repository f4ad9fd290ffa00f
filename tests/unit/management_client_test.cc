// The management client's pure parts and its behaviour against real HTTP servers on loopback:
// error values from real 3.10 bodies, credentials, failover, retries and URL checks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "agent/rabbitmq/credentials.h"
#include "agent/rabbitmq/management_client.h"

namespace warren::rabbitmq {
namespace {

TEST(ManagementErrors, StatusCodesAndReadableReasons) {
  Status bad = ErrorFromReply(
      "PUT", "/api/policies/gitops/bad", 400,
      R"({"error":"bad_request","reason":"Validation failed\n\n&lt;&lt;\"bogus\"&gt;&gt; is not a valid ha-mode value\n"})");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      bad.message(),
      R"(PUT /api/policies/gitops/bad: 400 bad_request: Validation failed: <<"bogus">> is not a valid ha-mode value)");

  Status login = ErrorFromReply("GET", "/api/overview", 401, R"({"error":"not_authorized","reason":"Login failed"})");
  EXPECT_EQ(login.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(login.message(), "GET /api/overview: 401 not_authorized: Login failed");
  EXPECT_EQ(ErrorFromReply("GET", "/api/overview", 401, "").message(),
            "GET /api/overview: 401 no or wrong credentials");

  // The two 404 shapes.
  EXPECT_EQ(
      ErrorFromReply("PUT", "/api/queues/nope/q", 404, R"({"error":"not_found","reason":"vhost_not_found"})").message(),
      "PUT /api/queues/nope/q: 404 not_found: vhost_not_found");
  EXPECT_EQ(
      ErrorFromReply("GET", "/api/queues/x/y", 404, R"({"error":"Object Not Found","reason":"Not Found"})").code(),
      StatusCode::kNotFound);
  EXPECT_EQ(ErrorFromReply("GET", "/api/nodes/nope", 500, "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ErrorFromReply("POST", "/x", 400, R"({"error":"bad_request","reason":["unknown","bogus"]})").message(),
            R"(POST /x: 400 bad_request: ["unknown","bogus"])");
}

TEST(ManagementPaths, VhostSlashIsEscaped) {
  EXPECT_EQ(ApiPath("queues", "/", "ha.orders"), "/api/queues/%2F/ha.orders");
  EXPECT_EQ(ApiPath("policies", "orders", "a b#c"), "/api/policies/orders/a%20b%23c");
}

TEST(ManagementClientConfig, RejectsBadUrls) {
  EXPECT_FALSE(ManagementClient::Create({}).ok());
  auto ftp = ManagementClient::Create({{"ftp://host"}});
  EXPECT_FALSE(ftp.ok());
  auto userinfo = ManagementClient::Create({{"http://admin:hunter2@127.0.0.1:15672"}});
  ASSERT_FALSE(userinfo.ok());
  EXPECT_EQ(userinfo.status().message().find("hunter2"), std::string::npos) << "the password is not repeated";
}

std::string TempPath(const std::string& name) { return (std::filesystem::temp_directory_path() / name).string(); }

TEST(Credentials, FileDirectoryAndEnvironment) {
  std::string file = TempPath("warren-creds-test");
  std::ofstream(file) << "svc:pa:ss\n";
  auto c = LoadCredentials(file);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value().username, "svc");
  EXPECT_EQ(c.value().password, "pa:ss");

  std::string dir = TempPath("warren-creds-secret");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/username") << "fromsecret";
  std::ofstream(dir + "/password") << "s3cret";
  auto s = LoadCredentials(dir);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s.value().username, "fromsecret");
  EXPECT_EQ(s.value().password, "s3cret");

  std::ofstream(file) << "no-colon-here\n";
  auto bad = LoadCredentials(file);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("no-colon-here"), std::string::npos) << "file contents never echoed";
  EXPECT_FALSE(LoadCredentials(TempPath("warren-no-such-file")).ok());

  setenv("RABBITMQ_USERNAME", "envuser", 1);
  setenv("RABBITMQ_PASSWORD", "envpass", 1);
  auto e = LoadCredentials("");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().username, "envuser");
  unsetenv("RABBITMQ_USERNAME");
  EXPECT_FALSE(LoadCredentials("").ok());
}

// A real HTTP server on loopback standing in for a management node that misbehaves.
class FlakyNode {
 public:
  explicit FlakyNode(int failures) : failures_left_(failures) {
    server_.Get("/api/overview", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      auth_ = req.get_header_value("Authorization");
      if (failures_left_-- > 0) {
        res.status = 503;
        res.set_content(R"({"error":"unavailable","reason":"booting"})", "application/json");
        return;
      }
      res.set_content(R"({"cluster_name":"rabbit1@test"})", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FlakyNode() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  const std::string& auth() const { return auth_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  int failures_left_;
  int requests_ = 0;
  std::string auth_;
};

// A loopback port with nothing listening: bound by the kernel's choice, then closed.
std::string ClosedPortUrl() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

TEST(ManagementClientHttp, FailsOverToTheNextNodeAndRetries5xx) {
  FlakyNode node(/*failures=*/2);
  ManagementConfig config{{ClosedPortUrl(), node.url()}, "warren", "pw", "", 2000, 2, 10};
  auto client = ManagementClient::Create(config);
  ASSERT_TRUE(client.ok());
  auto overview = client.value()->Get("/api/overview");
  ASSERT_TRUE(overview.ok()) << overview.status().message();
  EXPECT_EQ(overview.value()["cluster_name"], "rabbit1@test");
  EXPECT_EQ(node.requests(), 3) << "two 503s retried, then the answer";
  EXPECT_EQ(node.auth(), "Basic d2FycmVuOnB3");  // warren:pw
}

TEST(ManagementClientHttp, GivesUpWithTheLastErrorWhenNoNodeAnswers) {
  ManagementConfig config{{ClosedPortUrl(), ClosedPortUrl()}, "warren", "secret-pw", "", 1000, 1, 10};
  auto client = ManagementClient::Create(config);
  auto r = client.value()->Get("/api/overview");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("no RabbitMQ management node answered"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().find("secret-pw"), std::string::npos);
  EXPECT_EQ(client.value()->requests_sent(), 4u) << "2 nodes x (1 + 1 retry)";
}

}  // namespace
}  // namespace warren::rabbitmq
