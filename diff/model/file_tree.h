// FileTree: how the pure core reads files. The agent provides one over a directory and one over a
// git commit's tree; tests use InMemoryFileTree. Paths use '/' and are relative to the tree's root.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "diff/model/status.h"

namespace warren {

class FileTree {
 public:
  virtual ~FileTree() = default;
  // The files at or below `path`, sorted; just `path` when it names a file. NotFound if neither.
  virtual Result<std::vector<std::string>> ListFiles(const std::string& path) const = 0;
  // Size in bytes, so a huge file can be refused before it is read.
  virtual Result<uint64_t> Size(const std::string& file) const = 0;
  virtual Result<std::string> Read(const std::string& file) const = 0;
  // The directory on disk that relative paths start from, for programs that need real files
  // (kustomize); "" when the tree is not on disk (a git commit, memory).
  virtual std::string DiskDirectory() const { return ""; }
};

// A FileTree held in memory: path -> contents.
class InMemoryFileTree : public FileTree {
 public:
  void Add(const std::string& path, std::string contents) { files_[path] = std::move(contents); }

  Result<std::vector<std::string>> ListFiles(const std::string& path) const override {
    std::vector<std::string> out;
    std::string prefix = path.empty() || path == "." ? "" : path + "/";
    for (const auto& [name, _] : files_)
      if (name == path || name.rfind(prefix, 0) == 0) out.push_back(name);
    if (out.empty()) return Status::NotFound(path + ": no such file or directory");
    return out;
  }
  Result<uint64_t> Size(const std::string& file) const override {
    auto it = files_.find(file);
    if (it == files_.end()) return Status::NotFound(file + ": no such file");
    return static_cast<uint64_t>(it->second.size());
  }
  Result<std::string> Read(const std::string& file) const override {
    auto it = files_.find(file);
    if (it == files_.end()) return Status::NotFound(file + ": no such file");
    return it->second;
  }

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace warren
