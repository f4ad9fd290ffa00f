#include "agent/fs/disk_file_tree.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
  // One buffer of the file's size, filled in place: a stream copy would hold the text two or
  // three times over at its peak, which for a 20 MB captured List is most of a diff's memory.
  // (Through a small buffer: reading straight into a zero-filled string of the file's size was
  // 20 ms slower for 20 MB, its fresh pages touched twice.)
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Io(file + ": " + std::strerror(errno));
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) text.reserve(static_cast<size_t>(st.st_size));
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Status::Io(file + ": read failed: " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::string DiskFileTree::DiskDirectory() const {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  return ec ? "." : cwd.string();
}

}  // namespace warren
