// DiskFileTree: the agent's FileTree over the local filesystem (files in a temp directory only).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/fs/disk_file_tree.h"
#include "diff/model/loader.h"

namespace warren {
namespace {

TEST(DiskFileTree, AMissingPathIsNotFound) {
  DiskFileTree tree;
  auto r = LoadManifests(tree, {"/nonexistent/warren"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

// A 1 GB file is refused by its size, before a byte is read (the file is sparse: no disk used).
TEST(DiskFileTree, AGigabyteFileIsRefusedByItsSize) {
  std::string path = std::filesystem::temp_directory_path() / ("warren-huge-" + std::to_string(getpid()) + ".yaml");
  { std::ofstream f(path); }
  std::filesystem::resize_file(path, 1ull << 30);
  DiskFileTree tree;
  auto r = LoadManifests(tree, {path});
  std::remove(path.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(r.status().message().find("1073741824 bytes is more than the limit"), std::string::npos);
}

TEST(DiskFileTree, ADirectoryIsWalkedInOrder) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("warren-tree-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "b.yaml") << "b";
  std::ofstream(dir / "sub" / "a.yaml") << "a";
  DiskFileTree tree;
  auto files = tree.ListFiles(dir.string());
  auto text = tree.Read((dir / "sub" / "a.yaml").string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(files.value(), (std::vector<std::string>{(dir / "b.yaml").string(), (dir / "sub" / "a.yaml").string()}));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text.value(), "a");
}

// Read to its end whatever size the file says it has: a file that says 0 (procfs) and one read
// whole at its size alike.
TEST(DiskFileTree, AFileIsReadToItsEnd) {
  DiskFileTree tree;
  auto status = tree.Read("/proc/self/status");
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_NE(status.value().find("VmRSS:"), std::string::npos) << "procfs says 0 bytes and has more";
  std::string path = std::filesystem::temp_directory_path() / ("warren-read-" + std::to_string(getpid()));
  std::string text(100'000, 'x');
  text += "end";
  std::ofstream(path) << text;
  auto read = tree.Read(path);
  std::remove(path.c_str());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.value(), text);
}

}  // namespace
}  // namespace warren
