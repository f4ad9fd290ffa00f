#include "agent/fs/disk_file_tree.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace warren {
namespace fs = std::filesystem;

Result<std::vector<std::string>> DiskFileTree::ListFiles(const std::string& path) const {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return Status::NotFound(path + ": no such file or directory");
  if (!fs::is_directory(status)) return std::vector<std::string>{path};
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->is_regular_file(ec)) out.push_back(it->path().generic_string());
  }
  if (ec) return Status::Io(path + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Result<uint64_t> DiskFileTree::Size(const std::string& file) const {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return Status::Io(file + ": " + ec.message());
  return static_cast<uint64_t>(size);
}

Result<std::string> DiskFileTree::Read(const std::string& file) const {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Io(file + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Io(file + ": read failed");
  return ss.str();
}

std::string DiskFileTree::DiskDirectory() const {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  return ec ? "." : cwd.string();
}

}  // namespace warren
