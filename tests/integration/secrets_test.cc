// No secret in any output warren produces, in any encoding. One run of everything on the whole
// stack, with Secrets in git (one as stringData, one as base64 data whose value needs
// URL-encoding), warren's RabbitMQ password, the git server's password, a forge token, a webhook
// secret and the Kubernetes bearer token:
// - lint, diff (with a Secret value changed) and sync, as text and JSON; status as text and JSON;
// - errors: a wrong RabbitMQ password, a wrong git password, a Secret the API server refuses;
// - the agent at --log-level debug: its log, /metrics, the Events and objects it writes (inventory,
//   Lease), RabbitMQ's inventory parameter, and every commit status posted, after a webhook.
// - a SOPS-encrypted Secret in git, opened with an identity file (sync, diff, lint) and by the agent
//   from a key Secret; the age identity and the plaintext are looked for like every other secret.
// Each value is looked for plain, base64 (padded and not), base64 of user:password as a Basic
// header carries it, and URL-encoded.
#include <gtest/gtest.h>

#include "agent/net/http_client.h"
#include "agent/webhook/webhook.h"
#include "diff/model/base64.h"
#include "tests/integration/agent_e2e_fixture.h"
#include "tests/support/sops_writer.h"

namespace warren::testing {
namespace {

// "p@ss w/rd+=&?" in a Secret's data: its URL-encoded form differs from the plain one.
const std::string kDataValue = "p@ss w/rd+=&?-data-only";
const std::string kWrongRabbitPassword = "Wrong+pw/=-never-printed";
const std::string kSopsValue = "sops+age/encrypted=in-git-never-printed";

// Every form a value could leak in.
std::map<std::string, std::string> Encodings(const std::string& name, const std::string& value) {
  std::map<std::string, std::string> out = {{name + " (plain)", value},
                                            {name + " (base64)", Base64Encode(value)},
                                            {name + " (base64, unpadded)", Base64Encode(value, false)},
                                            {name + " (URL-encoded)", net::EscapePathSegment(value)}};
  // An unpadded base64 of fewer than 4 characters would match by chance; the values are longer.
  return out;
}

class Secrets : public AgentEndToEnd {
 protected:
  void Collect(const std::string& what, const std::string& text) { outputs_.emplace_back(what, text); }
  void Collect(const std::string& what, const RunResult& r) { Collect(what, r.out); }

  std::vector<std::pair<std::string, std::string>> outputs_;
};

TEST_F(Secrets, NoValueInAnyOutputInAnyEncoding) {
  std::string git_password = Read(Srv() + "/password");
  std::string kube_token;
  for (std::stringstream kc(Read(emu_->kubeconfig())); !kc.eof();) {
    std::string line;
    std::getline(kc, line);
    if (line.find("token: ") != std::string::npos) kube_token = line.substr(line.find("token: ") + 7);
  }
  ASSERT_FALSE(kube_token.empty());
  ForgeStub forge(kForgeToken);
  std::ofstream(dir_ + "/forge-token") << kForgeToken << "\n";
  std::ofstream(dir_ + "/hook-secret") << kWebhookSecret << "\n";
  std::ofstream(dir_ + "/wrong-rabbitmq") << kUser << ":" << kWrongRabbitPassword << "\n";
  std::ofstream(dir_ + "/wrong-git") << "git:" << git_password << "-wrong\n";
  std::ofstream(Work() + "/deploy/tls.yaml")
      << "apiVersion: v1\nkind: Secret\nmetadata: {name: tls-keys, namespace: dev}\n"
      << "data: {key: " << Base64Encode(kDataValue) << "}\n";
  SopsKey age = NewSopsKey();
  std::ofstream(dir_ + "/age.txt") << age.identity << "\n";
  std::ofstream(Work() + "/deploy/sops-secret.yaml")
      << SopsWriter({age}).Yaml({nlohmann::ordered_json{{"apiVersion", "v1"},
                                                        {"kind", "Secret"},
                                                        {"metadata", {{"name", "broker-admin"}, {"namespace", "dev"}}},
                                                        {"stringData", {{"password", kSopsValue}}}}});
  Commit("a Secret with data, and one encrypted with SOPS");
  std::string keys = " --decryption-key-file " + dir_ + "/age.txt";
  std::string repo = "https://127.0.0.1:" + https_port_ + "/git/app.git";
  std::string from_git = "--repo " + repo + " --auth-file " + dir_ + "/git-auth --ca-file " + Srv() +
                         "/ca.crt --path deploy --cache-dir " + dir_ + "/cache";
  std::string rabbit =
      "--rabbitmq-url " + ClusterUrls() + " --rabbitmq-credentials-file " + dir_ + "/rabbitmq-credentials";
  std::string status = " --report-status --status-provider github --status-api-url " + forge.url("github") +
                       " --status-repo org/app --status-token-file " + dir_ + "/forge-token";
  std::string local = Work() + "/deploy";

  // The commands, from git and from a directory, as text and JSON.
  Collect("lint", emu_->Warren("lint " + local + keys));
  Collect("lint -o json", emu_->Warren("lint " + local + " -o json" + keys));
  RunResult synced =
      emu_->Warren("sync " + from_git + " -n dev --timeout 60s --force-conflicts " + rabbit + status + keys);
  EXPECT_EQ(synced.exit_code, 0) << synced.out;
  Collect("sync from git with statuses", synced);
  ASSERT_TRUE(ReplaceInFile(local + "/secret.yaml", "password: " + std::string(kSecretValue),
                            "password: " + std::string(kSecretValue) + "-2"));
  RunResult diff = emu_->Warren("diff " + local + " -n dev " + rabbit + keys);
  EXPECT_EQ(diff.exit_code, 1) << diff.out;
  EXPECT_TRUE(Has(diff.out, "Secret dev/rabbitmq-credentials")) << diff.out;
  Collect("diff", diff);
  Collect("diff -o json", emu_->Warren("diff " + local + " -n dev -o json " + rabbit + keys));
  Collect("sync -o json",
          emu_->Warren("sync " + local + " -n dev --timeout 60s --force-conflicts -o json " + rabbit + keys));
  Json sealed = Json::parse(emu_->Kubectl("get secret broker-admin -n dev -o json").out);
  EXPECT_EQ(*Base64Decode(sealed["data"]["password"].get<std::string>()), kSopsValue);
  std::ofstream(dir_ + "/other-age.txt") << NewSopsKey().identity << "\n";
  RunResult wrong_key =
      emu_->Warren("decrypt " + local + "/sops-secret.yaml --decryption-key-file " + dir_ + "/other-age.txt");
  EXPECT_EQ(wrong_key.exit_code, 2) << wrong_key.out;
  Collect("decrypt with a wrong key", wrong_key);
  RunResult no_key = emu_->Warren("sync " + local + " -n dev --timeout 60s -o json");
  EXPECT_EQ(no_key.exit_code, 2) << no_key.out;
  Collect("sync without the age key", no_key);
  Collect("status", emu_->Warren("status " + local + " " + rabbit));
  Collect("status -o json", emu_->Warren("status " + local + " -o json " + rabbit));

  // Errors.
  RunResult wrong_rabbit = emu_->Warren("diff " + local + " -n dev --rabbitmq-url " + ClusterUrls() +
                                        " --rabbitmq-credentials-file " + dir_ + "/wrong-rabbitmq" + keys);
  EXPECT_EQ(wrong_rabbit.exit_code, 2) << wrong_rabbit.out;
  Collect("diff with a wrong RabbitMQ password", wrong_rabbit);
  RunResult wrong_git = emu_->Warren("diff --repo " + repo + " --auth-file " + dir_ + "/wrong-git --ca-file " + Srv() +
                                     "/ca.crt --path deploy --cache-dir " + dir_ + "/cache-wrong -n dev");
  EXPECT_EQ(wrong_git.exit_code, 2) << wrong_git.out;
  Collect("diff with a wrong git password", wrong_git);
  emu_->Admin("POST", "/emulator/faults",
              R"({"method":"PATCH","pathPrefix":"/api/v1/namespaces/dev/secrets","status":500,"times":-1})");
  ASSERT_TRUE(ReplaceInFile(local + "/secret.yaml", "-2", "-3"));
  RunResult refused = emu_->Warren("sync " + local + " -n dev --timeout 60s --force-conflicts -o json" + keys);
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  Collect("sync with the Secret refused", refused);
  emu_->Admin("DELETE", "/emulator/faults");

  // The agent at debug level, woken by a signed webhook for a commit that changes a Secret; its
  // age identity in a key Secret, as in a cluster.
  ASSERT_EQ(
      emu_->Kubectl("create secret generic sops-age -n dev --from-file=age.agekey=" + dir_ + "/age.txt").exit_code, 0);
  auto agent = Run({"--log-level", "debug", "--decryption-secret", "dev/sops-age", "--webhook-secret-file",
                    dir_ + "/hook-secret", "--status-provider", "github", "--status-api-url", forge.url("github"),
                    "--status-repo", "org/app", "--status-token-file", dir_ + "/forge-token"},
                   "1h");
  ASSERT_TRUE(Eventually([&] { return agent->Get("/readyz").first == 200; }, 120)) << agent->Log();
  std::string second = Commit("a Secret value changed");  // (the -3 of the refused sync)
  std::string body = PushBody(repo, second);
  EXPECT_EQ(Deliver(*agent, "github",
                    {{"X-GitHub-Event", "push"},
                     {"X-GitHub-Delivery", "s-1"},
                     {"X-Hub-Signature-256", "sha256=" + webhook::HmacSha256Hex(kWebhookSecret, body)}},
                    body),
            202);
  EXPECT_TRUE(Eventually(
      [&] {
        auto s = forge.States(second, "warren/sync");
        return !s.empty() && s.back() == "success";
      },
      30))
      << agent->Log();
  Collect("agent /metrics", agent->Get("/metrics").second);
  EXPECT_EQ(agent->Kill(SIGTERM).first, 0);
  Collect("agent log (debug)", agent->Log());
  Collect("Events", emu_->Kubectl("get events -n dev -o json"));
  Collect("warren's ConfigMaps and Lease", emu_->Kubectl("get configmaps,leases -n dev -o json"));
  auto parameters = Admin().Get("/api/global-parameters");
  Collect("RabbitMQ global parameters", parameters.ok() ? parameters.value().dump() : "");
  std::string posted;
  for (const auto& st : forge.Statuses())
    posted += st.context + " " + st.state + " " + st.description + " " + st.target_url + "\n";
  EXPECT_GE(forge.Statuses().size(), 4u);
  Collect("commit statuses", posted);

  // The collection is real: each output is there and says something.
  ASSERT_EQ(outputs_.size(), 19u);
  for (const auto& [what, text] : outputs_) EXPECT_FALSE(text.empty()) << what;

  std::map<std::string, std::string> secrets;
  for (auto& [name, value] :
       std::map<std::string, std::string>{{"Secret stringData value", kSecretValue},
                                          {"Secret stringData value, changed", std::string(kSecretValue) + "-2"},
                                          {"Secret stringData value, committed", std::string(kSecretValue) + "-3"},
                                          {"Secret data value", kDataValue},
                                          {"RabbitMQ password", kPassword},
                                          {"wrong RabbitMQ password", kWrongRabbitPassword},
                                          {"git password", git_password},
                                          {"forge token", kForgeToken},
                                          {"webhook secret", kWebhookSecret},
                                          {"Kubernetes token", kube_token},
                                          {"RabbitMQ Basic credentials", kUser + ":" + kPassword},
                                          {"git Basic credentials", "git:" + git_password},
                                          {"SOPS-encrypted value", kSopsValue},
                                          {"age identity", age.identity}})
    secrets.merge(Encodings(name, value));
  for (const auto& [what, text] : outputs_)
    for (const auto& [form, value] : secrets) EXPECT_FALSE(Has(text, value)) << form << " in " << what << ":\n" << text;
  (void)Admin().Delete("/api/users/" + kUser);
}

}  // namespace
}  // namespace warren::testing
