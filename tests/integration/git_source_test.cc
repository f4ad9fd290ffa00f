// The git source against real git: repositories and signed commits made by the git binary (SSH
// signing through git's own gpg.format=ssh), served over file://, smart HTTPS (git-http-backend
// behind lighttpd, basic auth, a test CA) and SSH (sshd on a loopback port).
#include <pwd.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "agent/git/git_source.h"
#include "tests/integration/emulator_process.h"  // Shell, WriteTemp, Has
#include "tests/integration/fault_proxy.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

class GitSource : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("warren-git-" + std::to_string(getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    RunResult servers =
        Shell("bash " + std::string(WARREN_SOURCE_DIR) + "/tests/scripts/git-servers.sh start " + dir_ + "/srv");
    ASSERT_EQ(servers.exit_code, 0) << servers.out;
    std::ifstream env(dir_ + "/srv/env");
    for (std::string line; std::getline(env, line);) {
      if (line.rfind("HTTPS_PORT=", 0) == 0) https_port_ = line.substr(11);
      if (line.rfind("SSH_PORT=", 0) == 0) ssh_port_ = line.substr(9);
    }
    password_ = Read(dir_ + "/srv/password");
    for (const char* k : {"trusted", "untrusted"})
      ASSERT_EQ(Shell("ssh-keygen -q -t ed25519 -N '' -C " + std::string(k) + " -f " + dir_ + "/" + k).exit_code, 0);
    std::ofstream(dir_ + "/allowed_signers")
        << "release@example.com namespaces=\"git\" " << Read(dir_ + "/trusted.pub");
    // The repository: manifests under deploy/, a signed first commit, served from srv/repos.
    Git("init -q -b main " + Work());
    fs::create_directories(Work() + "/deploy");
    fs::copy(std::string(WARREN_SOURCE_DIR) + "/manifests", Work() + "/deploy/manifests", fs::copy_options::recursive);
    Git("-C " + Work() + " add -A");
    Commit("first", "trusted");
    Git("clone -q --bare " + Work() + " " + dir_ + "/srv/repos/app.git");
  }
  static void TearDownTestSuite() {
    Shell("bash " + std::string(WARREN_SOURCE_DIR) + "/tests/scripts/git-servers.sh stop " + dir_ + "/srv");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static std::string Read(const std::string& path) { return ReadText(path); }
  static std::string Work() { return dir_ + "/work"; }
  static std::string Bare() { return dir_ + "/srv/repos/app.git"; }
  static void Git(const std::string& args) {
    RunResult r = Shell("git -c user.name=t -c user.email=t@example.com -c gpg.format=ssh " + args);
    ASSERT_EQ(r.exit_code, 0) << "git " << args << "\n" << r.out;
  }
  // Commits everything in the work tree (signed by `key`, or unsigned when empty) and pushes it.
  static std::string Commit(const std::string& message, const std::string& key) {
    std::string sign = key.empty() ? "" : "-c user.signingkey=" + dir_ + "/" + key + " commit -S";
    Git("-C " + Work() + " " + (key.empty() ? "commit" : sign) + " -q --allow-empty -am '" + message + "'");
    if (fs::exists(Bare())) Git("-C " + Work() + " push -q " + Bare() + " HEAD:main");
    return Read(Work() + "/.git/refs/heads/main");
  }
  static git::SourceOptions File(const std::string& cache) {
    git::SourceOptions o;
    o.url = "file://" + Bare();
    o.ref = "main";
    o.path = "deploy/manifests";
    o.cache_dir = dir_ + "/" + cache;
    o.allowed_signers = dir_ + "/allowed_signers";
    return o;
  }
  static RunResult Warren(const std::string& args) {
    return Shell(std::string(WARREN_BINARY) + " diff --live-file " + std::string(WARREN_SOURCE_DIR) +
                 "/tests/fixtures/live/manifests-dev.live.yaml --path deploy/manifests " + args);
  }

  static std::string dir_, https_port_, ssh_port_, password_;
};
std::string GitSource::dir_, GitSource::https_port_, GitSource::ssh_port_, GitSource::password_;

TEST_F(GitSource, CloneOnceThenFetchOnlyWhenTheRefMoved) {
  auto first = git::SyncSource(File("cache-incremental"));
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(first.value().recloned);
  EXPECT_EQ(first.value().signed_by.rfind("release@example.com (SHA256:", 0), 0u) << first.value().signed_by;
  auto files = first.value().tree->ListFiles(first.value().root);
  ASSERT_TRUE(files.ok());
  for (const std::string& f : files.value()) EXPECT_EQ(f.rfind("deploy/manifests/", 0), 0u) << f;

  auto poll = git::SyncSource(File("cache-incremental"));
  ASSERT_TRUE(poll.ok());
  EXPECT_FALSE(poll.value().fetched) << "nothing moved: one ls-remote, no fetch";
  EXPECT_EQ(poll.value().commit, first.value().commit);

  std::ofstream(Work() + "/deploy/manifests/kubernetes/extra.yaml")
      << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: dev}\n";
  Git("-C " + Work() + " add -A");
  std::string head = Commit("second", "trusted");
  auto next = git::SyncSource(File("cache-incremental"));
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_TRUE(next.value().fetched);
  EXPECT_FALSE(next.value().recloned) << "an incremental fetch, not a new clone";
  EXPECT_EQ(next.value().commit, head);
  EXPECT_TRUE(next.value().tree->Read("deploy/manifests/kubernetes/extra.yaml").ok());
}

TEST_F(GitSource, TagsAndCommitsPinTheState) {
  std::string pinned = Read(Work() + "/.git/refs/heads/main");
  Git("-C " + Work() + " -c user.signingkey=" + dir_ + "/trusted tag -s -m 'release 1' v1");
  Git("-C " + Work() + " tag light");
  Git("-C " + Work() + " push -q --tags " + Bare());
  Commit("later", "trusted");

  for (std::string ref : {std::string("v1"), std::string("light"), pinned}) {
    git::SourceOptions o = File("cache-pin");
    o.ref = ref;
    o.require_signed = true;
    auto c = git::SyncSource(o);
    ASSERT_TRUE(c.ok()) << ref << ": " << c.status().message();
    EXPECT_EQ(c.value().commit, pinned) << ref;
  }
  git::SourceOptions o = File("cache-pin");
  o.ref = pinned;
  auto again = git::SyncSource(o);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value().fetched) << "a pinned commit already cached needs no network";

  o.ref = "no-such-branch";
  auto missing = git::SyncSource(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "ref \"no-such-branch\" does not exist in file://" + Bare());
  o.ref = "main";
  o.path = "no/such/dir";
  EXPECT_EQ(git::SyncSource(o).status().code(), StatusCode::kNotFound);
}

TEST_F(GitSource, RequireSignedRefusesUnsignedUntrustedTamperedAndBadTags) {
  git::SourceOptions o = File("cache-signed");
  o.require_signed = true;
  ASSERT_TRUE(git::SyncSource(o).ok());

  std::string unsigned_commit = Commit("unsigned", "");
  auto u = git::SyncSource(o);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message(),
            "commit " + unsigned_commit + " is not signed (signed commits required: nothing was read from it)");

  Commit("by someone else", "untrusted");
  auto t = git::SyncSource(o);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("signed by a key that is not in allowed_signers (SHA256:"), std::string::npos)
      << t.status().message();
  std::string untrusted_fp = Shell("ssh-keygen -lf " + dir_ + "/untrusted.pub | cut -d' ' -f2").out;
  untrusted_fp.pop_back();
  EXPECT_NE(t.status().message().find(untrusted_fp), std::string::npos) << "names the key as ssh-keygen -l does";

  // Tampered: a trusted commit's content changed, its signature kept.
  std::string good = Commit("trusted again", "trusted");
  std::string raw = Shell("git -C " + Bare() + " cat-file commit " + good).out;
  size_t msg = raw.rfind("trusted again");
  ASSERT_NE(msg, std::string::npos);
  raw.replace(msg, 13, "trusted AGAIN");
  std::string forged =
      Shell("printf '%s' " + std::string("'") + raw + "' | git -C " + Bare() + " hash-object -t commit -w --stdin").out;
  forged.pop_back();
  Git("-C " + Bare() + " update-ref refs/heads/main " + forged);
  auto f = git::SyncSource(o);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("commit " + forged + ": the signature does not match the signed content"),
            std::string::npos)
      << f.status().message();
  Git("-C " + Bare() + " update-ref refs/heads/main " + good);

  // An annotated tag signed by an untrusted key, on a trusted commit.
  Git("-C " + Work() + " -c user.signingkey=" + dir_ + "/untrusted tag -s -m 'bad release' v-bad");
  Git("-C " + Work() + " push -q --tags " + Bare());
  o.ref = "v-bad";
  auto bad_tag = git::SyncSource(o);
  ASSERT_FALSE(bad_tag.ok());
  EXPECT_NE(bad_tag.status().message().find("tag v-bad: signed by a key that is not in allowed_signers"),
            std::string::npos)
      << bad_tag.status().message();

  RunResult cli = Warren("--repo file://" + Bare() + " --ref v-bad --cache-dir " + dir_ +
                         "/cache-cli --allowed-signers " + dir_ + "/allowed_signers --require-signed");
  EXPECT_EQ(cli.exit_code, 2) << cli.out;
  EXPECT_FALSE(Has(cli.out, "to create")) << "nothing was diffed";
}

TEST_F(GitSource, HttpsWithBasicAuthAndATestCa) {
  std::string url = "https://127.0.0.1:" + https_port_ + "/git/app.git";
  std::string auth = WriteTemp("git-auth", "git:" + password_ + "\n");
  RunResult ok = Warren("--repo " + url + " --auth-file " + auth + " --ca-file " + dir_ + "/srv/ca.crt --cache-dir " +
                        dir_ + "/cache-https");
  EXPECT_NE(ok.exit_code, 2) << ok.out;  // 0 or 1: what earlier tests committed may be drift
  EXPECT_TRUE(Has(ok.out, "commit ")) << "the report names the commit: " << ok.out;
  EXPECT_FALSE(Has(ok.out, password_));

  std::string wrong = WriteTemp("git-auth-wrong", "git:Wrong-Password-91\n");
  RunResult refused = Warren("--repo " + url + " --auth-file " + wrong + " --ca-file " + dir_ +
                             "/srv/ca.crt --cache-dir " + dir_ + "/cache-https-wrong");
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_TRUE(Has(refused.out, "the server refused the credentials")) << refused.out;
  EXPECT_FALSE(Has(refused.out, "Wrong-Password-91"));

  // A poll after the ref moved: ls-remote and fetch are two connections, each asking for the
  // credentials once. (Counted together they read as a refusal, and every fetch failed.)
  std::string moved = Commit("moved for the https poll", "trusted");
  RunResult polled = Warren("--repo " + url + " --auth-file " + auth + " --ca-file " + dir_ +
                            "/srv/ca.crt --cache-dir " + dir_ + "/cache-https");
  EXPECT_NE(polled.exit_code, 2) << polled.out;
  EXPECT_TRUE(Has(polled.out, "commit " + moved)) << polled.out;

  RunResult no_ca = Warren("--repo " + url + " --auth-file " + auth + " --cache-dir " + dir_ + "/cache-https-noca");
  EXPECT_EQ(no_ca.exit_code, 2) << no_ca.out;
  EXPECT_TRUE(Has(no_ca.out, "certificate")) << no_ca.out;
}

// Each source checks the server's certificate against its own CA file, in-process and at the
// same time: libgit2's CA setting is process-wide, so a source's CA used to stay set for the next
// source, and two sources with different CAs raced for it.
TEST_F(GitSource, EachSourceTrustsOnlyItsOwnCa) {
  std::string other_ca = dir_ + "/other-ca.crt";
  ASSERT_EQ(Shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other-ca "
                  "-keyout " +
                  dir_ + "/other-ca.key -out " + other_ca)
                .exit_code,
            0);
  std::string auth = WriteTemp("git-auth-ca", "git:" + password_ + "\n");  // once: the threads read it
  auto https = [&](const std::string& ca, const std::string& cache) {
    git::SourceOptions o;
    o.url = "https://127.0.0.1:" + https_port_ + "/git/app.git";
    o.auth_file = auth;
    o.ca_file = ca;
    o.cache_dir = dir_ + "/" + cache;
    o.timeout_seconds = 60;
    return o;
  };
  auto trusted = git::SyncSource(https(dir_ + "/srv/ca.crt", "cache-ca-trusted"));
  ASSERT_TRUE(trusted.ok()) << trusted.status().message();
  // Right after a source with the test CA: one with none, and one with another CA, are refused.
  auto none = git::SyncSource(https("", "cache-ca-none"));
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(Has(none.status().message(), "certificate")) << none.status().message();
  auto other = git::SyncSource(https(other_ca, "cache-ca-other"));
  ASSERT_FALSE(other.ok());
  EXPECT_TRUE(Has(other.status().message(), "is not trusted by " + other_ca)) << other.status().message();
  EXPECT_EQ(other.status().code(), StatusCode::kForbidden);
  // Side by side: each answer depends on the source's own CA only.
  std::mutex mu;
  std::vector<std::string> wrong;
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto r = git::SyncSource(https(dir_ + "/srv/ca.crt", "cache-ca-t" + std::to_string(i)));
      std::lock_guard<std::mutex> lock(mu);
      if (!r.ok()) wrong.push_back("trusted source " + std::to_string(i) + " failed: " + r.status().message());
    });
    threads.emplace_back([&, i] {
      auto r = git::SyncSource(https(other_ca, "cache-ca-o" + std::to_string(i)));
      std::lock_guard<std::mutex> lock(mu);
      if (r.ok()) wrong.push_back("source " + std::to_string(i) + " with another CA was let through");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(wrong.empty()) << ::testing::PrintToString(wrong);
}

TEST_F(GitSource, SshWithAKeyAndARequiredKnownHostsFile) {
  // sshd accepts the key for the user it runs as (root in CI, anyone locally).
  std::string url = "ssh://" + std::string(getpwuid(getuid())->pw_name) + "@127.0.0.1:" + ssh_port_ + Bare();
  std::string key = dir_ + "/srv/client_key";
  RunResult ok = Warren("--repo " + url + " --ssh-key " + key + " --known-hosts " + dir_ +
                        "/srv/known_hosts --cache-dir " + dir_ + "/cache-ssh");
  EXPECT_NE(ok.exit_code, 2) << ok.out;
  EXPECT_TRUE(Has(ok.out, "commit ")) << ok.out;

  std::string other =
      WriteTemp("known_hosts_other", "[127.0.0.1]:" + ssh_port_ + " " + Read(dir_ + "/untrusted.pub") + "\n");
  RunResult unknown = Warren("--repo " + url + " --ssh-key " + key + " --known-hosts " + other + " --cache-dir " +
                             dir_ + "/cache-ssh-unknown");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  EXPECT_TRUE(Has(unknown.out, "the SSH host key of [127.0.0.1]:" + ssh_port_)) << unknown.out;

  RunResult no_known_hosts = Warren("--repo " + url + " --ssh-key " + key + " --cache-dir " + dir_ + "/cache-ssh-none");
  EXPECT_EQ(no_known_hosts.exit_code, 2);
  EXPECT_TRUE(Has(no_known_hosts.out, "needs a known_hosts file")) << no_known_hosts.out;
}

// The server goes away in the middle of a fetch (the proxy cuts the pack it sends): an error naming
// the repository, and the cache still serves the next fetch, which gets the new commit.
TEST_F(GitSource, ConnectionCutMidFetchIsAnErrorAndTheCacheSurvives) {
  FaultProxy proxy("https://127.0.0.1:" + https_port_);
  std::string url = proxy.url() + "/git/app.git";
  std::string auth = WriteTemp("git-auth-cut", "git:" + password_ + "\n");
  std::string args = "--repo " + url + " --auth-file " + auth + " --cache-dir " + dir_ + "/cache-cut";
  RunResult first = Warren(args);
  ASSERT_NE(first.exit_code, 2) << first.out;
  std::string moved = Commit("moved while the connection breaks", "trusted");
  proxy.Add({"POST", "/git/app.git/git-upload-pack", 0, 1});
  RunResult cut = Warren(args);
  EXPECT_EQ(cut.exit_code, 2) << cut.out;
  EXPECT_TRUE(Has(cut.out, "fetch " + url + ": ")) << cut.out;
  EXPECT_EQ(proxy.faults_left(), 0) << "the fetch met the cut: " << cut.out;
  RunResult again = Warren(args);
  EXPECT_NE(again.exit_code, 2) << again.out;
  EXPECT_TRUE(Has(again.out, "commit " + moved)) << again.out;
  EXPECT_FALSE(Has(first.out + cut.out + again.out, password_));
}

TEST_F(GitSource, UnreachableServerAndCorruptCache) {
  RunResult down = Warren("--repo https://127.0.0.1:9/app.git --cache-dir " + dir_ + "/cache-down");
  EXPECT_EQ(down.exit_code, 2) << down.out;
  EXPECT_TRUE(Has(down.out, "https://127.0.0.1:9/app.git")) << down.out;

  git::SourceOptions o = File("cache-corrupt");
  ASSERT_TRUE(git::SyncSource(o).ok());
  std::ofstream(dir_ + "/cache-corrupt/HEAD") << "garbage";
  fs::remove_all(dir_ + "/cache-corrupt/refs");
  auto again = git::SyncSource(o);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(again.value().recloned);
}

}  // namespace
}  // namespace warren::testing
