// What the Kubernetes client does when a server (or a kubeconfig) has the wrong shape: an error
// naming what was wrong, never an exception that ends the agent. A real HTTP server on loopback
// plays an API server that answers with valid JSON of the wrong kind.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "agent/kube/client.h"
#include "agent/kube/kubeconfig.h"

namespace warren {
namespace {

using kube::KubeClient;

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path =
      std::filesystem::temp_directory_path() / ("warren-shapes-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path;
}

std::string KubeconfigWithCluster(const std::string& cluster_lines) {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n" +
         cluster_lines + "contexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n";
}

TEST(Kubeconfig, InsecureSkipTlsVerifyMustBeABoolean) {
  auto ok = kube::LoadKubeconfig(
      {WriteTemp("skip-true", KubeconfigWithCluster("    insecure-skip-tls-verify: true\n")), "", ""});
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE(ok.value().insecure_skip_verify);

  std::string file = WriteTemp("skip-string", KubeconfigWithCluster("    insecure-skip-tls-verify: \"true\"\n"));
  auto bad = kube::LoadKubeconfig({file, "", ""});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            file + ": cluster \"c\": insecure-skip-tls-verify must be true or false, not string");

  auto mapping = kube::LoadKubeconfig(
      {WriteTemp("skip-map", KubeconfigWithCluster("    insecure-skip-tls-verify: {a: 1}\n")), "", ""});
  ASSERT_FALSE(mapping.ok());
  EXPECT_NE(mapping.status().message().find("not object"), std::string::npos) << mapping.status().message();
}

// Answers each path with a fixed body; paths it does not know get 404.
class ShapedServer {
 public:
  explicit ShapedServer(std::map<std::string, std::string> bodies) : bodies_(std::move(bodies)) {
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      auto it = bodies_.find(req.path);
      if (it == bodies_.end()) {
        res.status = 404;
        return;
      }
      res.set_content(it->second, "application/json");
    });
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      auto it = bodies_.find(req.path);
      res.status = 201;
      res.set_content(it == bodies_.end() ? "{}" : it->second, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ShapedServer() {
    server_.stop();
    thread_.join();
  }
  std::unique_ptr<KubeClient> Client() const {
    kube::ClusterConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(port_);
    config.namespace_ = "default";
    kube::ClientOptions options;
    options.backoff_ms = 1;
    return std::move(KubeClient::Create(config, options)).value();
  }

 private:
  std::map<std::string, std::string> bodies_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

const char* kCoreV1 = R"({"kind":"APIResourceList","groupVersion":"v1","resources":[
  {"name":"configmaps","kind":"ConfigMap","namespaced":true},
  {"name":"nodes","kind":"Node","namespaced":"yes"},
  {"name":7,"kind":"Broken"},
  "not-a-resource"]})";

TEST(KubeClientShapes, DiscoverySkipsMisshapenResourcesAndNamesAMissingGroupList) {
  ShapedServer ok({{"/api/v1", kCoreV1}, {"/apis", R"({"groups":[{"name":"x","preferredVersion":"oops"}, 3]})"}});
  auto client = ok.Client();
  auto cm = client->Resolve("v1", "ConfigMap");
  ASSERT_TRUE(cm.ok()) << cm.status().message();
  EXPECT_TRUE(cm.value().namespaced);
  // "namespaced": "yes" is not a boolean: the default (namespaced) rather than an exception.
  auto node = client->Resolve("v1", "Node");
  ASSERT_TRUE(node.ok()) << node.status().message();
  EXPECT_FALSE(client->Resolve("v1", "Broken").ok());

  ShapedServer no_groups({{"/api/v1", "[1, 2]"}, {"/apis", R"({"groups":"none"})"}});
  auto bad = no_groups.Client()->Resolve("v1", "ConfigMap");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "discovery GET /apis: the answer lists no groups");
}

TEST(KubeClientShapes, ListWithoutItemsOrWithAScalarItemIsAnError) {
  for (const auto& [body, expected] : std::vector<std::pair<std::string, std::string>>{
           {R"({"kind":"ConfigMapList","metadata":"x"})", "the answer has no items list"},
           {R"({"kind":"ConfigMapList","metadata":{"resourceVersion":5},"items":[{"metadata":{"name":"a"}}, 42]})",
            "an item is not a JSON object"}}) {
    ShapedServer server(
        {{"/api/v1", kCoreV1}, {"/apis", R"({"groups":[]})"}, {"/api/v1/namespaces/dev/configmaps", body}});
    auto client = server.Client();
    auto cm = client->Resolve("v1", "ConfigMap");
    ASSERT_TRUE(cm.ok());
    auto list = client->List(cm.value(), "dev");
    ASSERT_FALSE(list.ok()) << body;
    EXPECT_EQ(list.status().message(), "LIST /api/v1/namespaces/dev/configmaps: " + expected);
  }
}

TEST(KubeClientShapes, StatusBodiesAndAccessReviewsOfTheWrongShape) {
  Status s = kube::ErrorFromResponse(422, R"({"kind":"Status","reason":["Invalid"],"message":{"x":1}})");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("422 ", 0), 0u) << s.message();

  ShapedServer server(std::map<std::string, std::string>{
      {"/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", R"({"status":{"allowed":"true"}})"}});
  auto allowed = server.Client()->CanI("get", "", "endpoints", "dev");
  ASSERT_TRUE(allowed.ok()) << allowed.status().message();
  EXPECT_FALSE(allowed.value()) << "only a boolean true allows";
}

}  // namespace
}  // namespace warren
