// DiskFileTree: a FileTree over the local filesystem. Paths are used as given (relative to the
// working directory or absolute); directories are walked recursively, skipping symlink loops.
#pragma once

#include "diff/model/file_tree.h"

namespace warren {

class DiskFileTree : public FileTree {
 public:
  Result<std::vector<std::string>> ListFiles(const std::string& path) const override;
  Result<uint64_t> Size(const std::string& file) const override;
  Result<std::string> Read(const std::string& file) const override;
  std::string DiskDirectory() const override;  // the working directory
};

}  // namespace warren
