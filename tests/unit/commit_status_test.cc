// forge::StatusReporter against the forge stand-in over loopback: a token rotated in its file is
// used from the next post on, and a file that cannot be read leaves the last token in use, said
// once, never printed.
#include "agent/forge/commit_status.h"

#include <filesystem>
#include <fstream>
#include <mutex>

#include <gtest/gtest.h>

#include "tests/integration/forge_stub.h"

namespace warren::forge {
namespace {

using testing::ForgeStub;

constexpr const char* kSha = "0123456789abcdef0123456789abcdef01234567";

class CommitStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("warren-status-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
    token_file_ = (dir_ / "token").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteToken(const std::string& token) { std::ofstream(token_file_) << token << "\n"; }

  std::unique_ptr<StatusReporter> Reporter(const ForgeStub& forge) {
    StatusOptions o;
    o.provider = "github";
    o.api_url = forge.url("github");
    o.repo = "org/app";
    o.token_file = token_file_;
    o.max_attempts = 1;
    o.log = [this](const std::string& msg, const std::string& detail) {
      std::lock_guard<std::mutex> lock(mu_);
      logged_.push_back(msg + ": " + detail);
    };
    auto r = StatusReporter::Create(o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  std::vector<std::string> Logged() {
    std::lock_guard<std::mutex> lock(mu_);
    return logged_;
  }

  std::filesystem::path dir_;
  std::string token_file_;
  std::mutex mu_;
  std::vector<std::string> logged_;
};

TEST_F(CommitStatusTest, ARotatedTokenIsUsedFromTheNextPost) {
  ForgeStub forge("first-token");
  WriteToken("first-token");
  auto reporter = Reporter(forge);
  ASSERT_TRUE(reporter);
  reporter->Report(kSha, "warren/sync", State::kPending, "applying");
  ASSERT_TRUE(reporter->Flush(std::chrono::seconds(10)));
  EXPECT_EQ(forge.States(kSha, "warren/sync"), std::vector<std::string>{"pending"});

  // The forge now takes only the new token; the file says it (a Secret rotated and written anew).
  forge.SetToken("second-token");
  WriteToken("second-token");
  reporter->Report(kSha, "warren/sync", State::kSuccess, "in sync");
  ASSERT_TRUE(reporter->Flush(std::chrono::seconds(10)));
  EXPECT_EQ(forge.States(kSha, "warren/sync"), (std::vector<std::string>{"pending", "success"}));
  EXPECT_EQ(reporter->posted(), 2u);
  EXPECT_TRUE(Logged().empty()) << Logged().front();
}

TEST_F(CommitStatusTest, AnUnreadableTokenFileKeepsTheLastTokenAndIsSaidOnce) {
  ForgeStub forge("kept-token");
  WriteToken("kept-token");
  auto reporter = Reporter(forge);
  ASSERT_TRUE(reporter);
  std::filesystem::remove(token_file_);
  reporter->Report(kSha, "warren/sync", State::kPending, "applying");
  reporter->Report(kSha, "warren/health", State::kSuccess, "healthy");
  ASSERT_TRUE(reporter->Flush(std::chrono::seconds(10)));
  EXPECT_EQ(reporter->posted(), 2u);
  std::vector<std::string> logged = Logged();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("the last one is used"), std::string::npos) << logged[0];
  EXPECT_NE(logged[0].find(token_file_), std::string::npos) << logged[0];
  EXPECT_EQ(logged[0].find("kept-token"), std::string::npos) << "the token itself is never said";

  // A wrong token in the file is used (and refused by the forge): the file is what counts.
  WriteToken("wrong-token");
  reporter->Report(kSha, "warren/sync", State::kSuccess, "in sync");
  ASSERT_TRUE(reporter->Flush(std::chrono::seconds(10)));
  EXPECT_EQ(forge.States(kSha, "warren/sync"), std::vector<std::string>{"pending"});
  for (const std::string& line : Logged()) EXPECT_EQ(line.find("wrong-token"), std::string::npos) << line;
}

}  // namespace
}  // namespace warren::forge
