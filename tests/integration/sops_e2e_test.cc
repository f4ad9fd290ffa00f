// SOPS Secrets in git, through the real binary, the emulator and kubectl: sync applies the
// plaintext and prints none of it; a file that cannot be decrypted (wrong key, changed after
// encryption, no key) fails the whole run with nothing applied; a kustomize build renames and
// relabels an encrypted Secret and the MAC is still checked on the file as written; files whose
// data key the real `age` CLI wrapped open, and warren's own age files open with `age -d`; the
// agent waits for its key Secret and applies as soon as it appears.
#include <gtest/gtest.h>

#include "diff/model/base64.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/emulator_process.h"
#include "tests/integration/rabbit_cluster.h"
#include "tests/support/sops_writer.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;
using OJson = nlohmann::ordered_json;

constexpr const char* kPassword = "sops-e2e-Pa55word/never-shown";
constexpr const char* kCookie = "sops-e2e-erlang-cookie-never-shown";

OJson SecretDoc(const std::string& name, const std::string& password) {
  return OJson{{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "rabbitmq"}}}}},
               {"type", "Opaque"},
               {"stringData", {{"password", password}}},
               {"data", {{"erlang-cookie", Base64Encode(kCookie)}}}};
}

class Sops : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = &EmulatorProcess::Shared("sops");
    ASSERT_TRUE(emu_->ok());
    repo_ = emu_->dir() + "/repo";
    fs::remove_all(repo_);
    fs::create_directories(repo_);
    key_ = NewSopsKey();
    key_file_ = emu_->dir() + "/age.txt";
    std::ofstream(key_file_) << "# created: 2026-12-03T00:00:00Z\n# public key: " << key_.recipient << "\n"
                             << key_.identity << "\n";
  }
  void Write(const std::string& file, const std::string& text) {
    fs::create_directories(fs::path(repo_ + "/" + file).parent_path());
    std::ofstream(repo_ + "/" + file) << text;
  }
  RunResult Warren(const std::string& args) { return emu_->Warren(args); }
  Json Get(const std::string& what) { return emu_->KubectlGet(what); }
  // Neither a plaintext nor the identity, in any output.
  void ExpectQuiet(const std::string& what, const std::string& text) {
    for (const std::string& secret :
         {std::string(kPassword), std::string(kCookie), Base64Encode(kPassword), Base64Encode(kCookie), key_.identity})
      EXPECT_FALSE(Has(text, secret)) << what << " shows a secret:\n" << text;
  }

  EmulatorProcess* emu_ = nullptr;
  std::string repo_, key_file_;
  SopsKey key_;
};

TEST_F(Sops, SyncAppliesThePlaintextAndPrintsNone) {
  SopsWriter writer({key_});
  Write("secret.yaml", writer.Yaml({SecretDoc("rabbitmq-creds", kPassword)}));
  Write("config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {a: b}\n");
  RunResult synced = Warren("sync " + repo_ + " -n default --decryption-key-file " + key_file_);
  ASSERT_EQ(synced.exit_code, 0) << synced.out;
  ExpectQuiet("sync", synced.out);

  Json live = Get("secret rabbitmq-creds -n default");
  ASSERT_TRUE(live.is_object());
  EXPECT_EQ(*Base64Decode(live["data"]["password"].get<std::string>()), kPassword);
  EXPECT_EQ(*Base64Decode(live["data"]["erlang-cookie"].get<std::string>()), kCookie);
  EXPECT_FALSE(live.contains("sops"));
  EXPECT_FALSE(Has(live.dump(), "ENC[")) << live.dump();

  RunResult clean = Warren("diff " + repo_ + " -n default --decryption-key-file " + key_file_);
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  // The environment, as sops reads it, works the same.
  RunResult from_env = emu_->Shell("SOPS_AGE_KEY='" + key_.identity + "' KUBECONFIG=" + emu_->kubeconfig() + " " +
                                   WARREN_BINARY + " diff " + repo_ + " -n default -o json");
  EXPECT_EQ(from_env.exit_code, 0) << from_env.out;

  // A new password in git: drift on the Secret, its value hidden.
  Write("secret.yaml", SopsWriter({key_}).Yaml({SecretDoc("rabbitmq-creds", std::string(kPassword) + "-2")}));
  RunResult drift = Warren("diff " + repo_ + " -n default --decryption-key-file " + key_file_);
  EXPECT_EQ(drift.exit_code, 1) << drift.out;
  EXPECT_TRUE(Has(drift.out, "Secret default/rabbitmq-creds")) << drift.out;
  ExpectQuiet("diff", drift.out);
  RunResult json = Warren("diff " + repo_ + " -n default -o json --decryption-key-file " + key_file_);
  ExpectQuiet("diff -o json", json.out);
  RunResult lint = Warren("lint " + repo_ + " --decryption-key-file " + key_file_);
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
  EXPECT_FALSE(Has(lint.out, "secret-in-plaintext")) << lint.out;
  ExpectQuiet("lint", lint.out);
}

TEST_F(Sops, AFileThatCannotBeDecryptedAppliesNothing) {
  Write("config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: half-applied}\ndata: {a: b}\n");
  Write("secret.yaml", SopsWriter({NewSopsKey()}).Yaml({SecretDoc("other-key", kPassword)}));
  RunResult wrong = Warren("sync " + repo_ + " -n default --decryption-key-file " + key_file_);
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out;
  EXPECT_TRUE(Has(wrong.out, repo_ + "/secret.yaml: cannot decrypt (SOPS): no identity matched")) << wrong.out;
  ExpectQuiet("sync with a wrong key", wrong.out);

  std::string text = SopsWriter({key_}).Yaml({SecretDoc("edited", kPassword)});
  ASSERT_TRUE(Has(text, "\"rabbitmq\""));
  Write("secret.yaml", text.replace(text.find("\"rabbitmq\""), 10, "\"edited-by-hand\""));
  RunResult edited = Warren("sync " + repo_ + " -n default --decryption-key-file " + key_file_);
  EXPECT_EQ(edited.exit_code, 2) << edited.out;
  EXPECT_TRUE(Has(edited.out, "secret.yaml: cannot decrypt (SOPS): MAC mismatch")) << edited.out;

  RunResult none = Warren("sync " + repo_ + " -n default");
  EXPECT_EQ(none.exit_code, 2) << none.out;
  EXPECT_TRUE(Has(none.out, "no age identity is configured")) << none.out;

  EXPECT_TRUE(Get("configmap half-applied -n default").is_null()) << "applied although the source failed";
  EXPECT_TRUE(Get("secret other-key -n default").is_null());
}

TEST_F(Sops, KustomizeBuildOfAnEncryptedSecretIsVerifiedAgainstItsFile) {
  Write("app/secret.yaml", SopsWriter({key_}).Yaml({SecretDoc("creds", kPassword)}));
  Write(
      "app/kustomization.yaml",
      "resources: [secret.yaml]\nnamePrefix: prod-\nlabels:\n- pairs: {team: messaging}\n  includeSelectors: false\n");
  RunResult synced = Warren("sync " + repo_ + "/app -n default --decryption-key-file " + key_file_);
  ASSERT_EQ(synced.exit_code, 0) << synced.out;
  ExpectQuiet("sync of a kustomization", synced.out);
  Json live = Get("secret prod-creds -n default");
  ASSERT_TRUE(live.is_object()) << synced.out;
  EXPECT_EQ(*Base64Decode(live["data"]["password"].get<std::string>()), kPassword);
  EXPECT_EQ(live["metadata"]["labels"]["team"], "messaging");

  // The file itself edited after encryption: refused, naming the file, though the build ran.
  std::string path = repo_ + "/app/secret.yaml";
  ASSERT_TRUE(ReplaceInFile(path, "\"rabbitmq\"", "\"edited\""));
  RunResult edited = Warren("sync " + repo_ + "/app -n default --decryption-key-file " + key_file_);
  EXPECT_EQ(edited.exit_code, 2) << edited.out;
  EXPECT_TRUE(Has(edited.out, "app/secret.yaml: cannot decrypt (SOPS): MAC mismatch")) << edited.out;
}

TEST_F(Sops, TheRealAgeCliAndWarrenReadEachOthersFiles) {
  RunResult keygen = emu_->Shell("age-keygen -o " + emu_->dir() + "/cli-key.txt 2>&1");
  ASSERT_EQ(keygen.exit_code, 0) << "age-keygen (Debian package age) is needed: " << keygen.out;
  std::string recipient = keygen.out.substr(keygen.out.find("age1"));
  recipient = recipient.substr(0, recipient.find_first_of(" \n"));
  auto pub = sops::DecodeBech32(recipient);
  ASSERT_TRUE(pub) << recipient;

  // age wraps the data key of a SOPS file; warren decrypt opens it.
  SopsWriteOptions options;
  options.wrap = [&](const SopsKey&, const std::string& data_key) {
    std::ofstream(emu_->dir() + "/data-key", std::ios::binary) << data_key;
    return emu_->Shell("age -a -r " + recipient + " " + emu_->dir() + "/data-key").out;
  };
  SopsWriter writer({SopsKey{"", recipient, pub->data}}, options);
  Write("cli.yaml", writer.Yaml({SecretDoc("from-age-cli", kPassword)}));
  RunResult decrypted = Warren("decrypt " + repo_ + "/cli.yaml --decryption-key-file " + emu_->dir() + "/cli-key.txt");
  ASSERT_EQ(decrypted.exit_code, 0) << decrypted.out;
  EXPECT_TRUE(Has(decrypted.out, std::string("password: \"") + kPassword + "\"")) << decrypted.out;
  EXPECT_FALSE(Has(decrypted.out, "sops:")) << decrypted.out;
  RunResult as_json =
      Warren("decrypt " + repo_ + "/cli.yaml -o json --decryption-key-file " + emu_->dir() + "/cli-key.txt");
  ASSERT_EQ(as_json.exit_code, 0) << as_json.out;
  EXPECT_EQ(Json::parse(as_json.out)["stringData"]["password"], kPassword);
  RunResult refused = Warren("decrypt " + repo_ + "/cli.yaml --decryption-key-file " + key_file_);
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_TRUE(Has(refused.out, "cli.yaml: cannot decrypt (SOPS): no identity matched")) << refused.out;
  ExpectQuiet("decrypt with a wrong key", refused.out);

  // warren's own age writer (the test files' data keys): age -d opens what it writes.
  std::ofstream(emu_->dir() + "/from-warren.age") << sops::Armor(sops::EncryptAge(pub->data, "hello from warren"));
  RunResult opened = emu_->Shell("age -d -i " + emu_->dir() + "/cli-key.txt " + emu_->dir() + "/from-warren.age");
  EXPECT_EQ(opened.exit_code, 0) << opened.out;
  EXPECT_EQ(opened.out, "hello from warren");
}

TEST_F(Sops, AgentAppliesAsSoonAsItsKeySecretAppears) {
  Write("secret.yaml", SopsWriter({key_}).Yaml({SecretDoc("agent-creds", kPassword)}));
  AgentProcess agent(
      emu_->dir() + "/agent.log",
      {repo_, "-n", "default", "--decryption-secret", "default/sops-age", "--interval", "1h", "--log-level", "debug"},
      {"KUBECONFIG=" + emu_->kubeconfig()});
  ASSERT_TRUE(Eventually([&] { return Has(agent.Log(), "decryption Secret default/sops-age does not exist"); }, 60))
      << agent.Log();
  EXPECT_TRUE(Get("secret agent-creds -n default").is_null());

  // A key Secret without the key first: still refused, now naming the file.
  std::ofstream(emu_->dir() + "/wrong.agekey") << NewSopsKey().identity << "\n";
  ASSERT_EQ(
      emu_->Kubectl("create secret generic sops-age -n default --from-file=age.agekey=" + emu_->dir() + "/wrong.agekey")
          .exit_code,
      0);
  ASSERT_TRUE(
      Eventually([&] { return Has(agent.Log(), "secret.yaml: cannot decrypt (SOPS): no identity matched"); }, 30))
      << agent.Log();
  // The right key: applied within seconds though the poll interval is an hour (the retry on a
  // changed key Secret itself is timed in source_loop_test, on a fake clock).
  ASSERT_EQ(emu_->Kubectl("delete secret sops-age -n default").exit_code, 0);
  ASSERT_EQ(emu_->Kubectl("create secret generic sops-age -n default --from-file=age.agekey=" + key_file_).exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return Get("secret agent-creds -n default").is_object(); }, 30)) << agent.Log();
  Json live = Get("secret agent-creds -n default");
  EXPECT_EQ(*Base64Decode(live["data"]["password"].get<std::string>()), kPassword);
  EXPECT_EQ(agent.Kill(SIGTERM).first, 0);
  ExpectQuiet("the agent's log", agent.Log());
  ExpectQuiet("Events", emu_->Kubectl("get events -n default -o json").out);
}

}  // namespace
}  // namespace warren::testing
