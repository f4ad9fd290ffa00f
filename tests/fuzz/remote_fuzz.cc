// What remote systems send: a kubeconfig (read from a file), a Kubernetes Status error body, and
// push webhook payloads of the three forges, signed correctly so the parser behind the check runs.
#include <unistd.h>

#include <fstream>

#include "agent/kube/client.h"
#include "agent/kube/kubeconfig.h"
#include "agent/webhook/webhook.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren;
  std::string text = fuzz::Text(data, size);

  static const std::string kFile = "/tmp/warren-fuzz-kubeconfig-" + std::to_string(getpid());
  std::ofstream(kFile, std::ios::binary | std::ios::trunc) << text;
  (void)kube::LoadKubeconfig({kFile, "", ""});

  Status s = kube::ErrorFromResponse(size ? 400 + data[0] % 200 : 500, text);
  WARREN_FUZZ_CHECK(!s.ok(), "an error response is an error");

  const std::string secret = "fuzz-secret";
  std::string signature = webhook::HmacSha256Hex(secret, text);
  for (webhook::Forge forge : {webhook::Forge::kGitHub, webhook::Forge::kGitea, webhook::Forge::kGitLab}) {
    auto header = [&](const std::string& name) -> std::string {
      if (name == "X-Hub-Signature-256") return "sha256=" + signature;
      if (name == "X-Gitea-Signature") return signature;
      if (name == "X-Gitlab-Token") return secret;
      if (name == "X-GitHub-Event" || name == "X-Gitea-Event") return "push";
      if (name == "X-Gitlab-Event") return "Push Hook";
      return "";
    };
    webhook::Verdict v = webhook::Receive(forge, secret, header, text);
    WARREN_FUZZ_CHECK(v.status != 401, "a correctly signed delivery is authenticated");
    if (v.push) (void)webhook::Matches(*v.push, "https://example.com/o/r.git", "main");
  }
  return 0;
}
