#include "agent/util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace warren {
namespace {

struct Pipe {
  int read = -1, write = -1;
  ~Pipe() {
    if (read >= 0) close(read);
    if (write >= 0) close(write);
  }
};

bool Executable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

}  // namespace

bool ProgramExists(const std::string& program) {
  if (program.empty()) return false;
  if (program.find('/') != std::string::npos) return Executable(program);
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (Executable((dir.empty() ? "." : dir) + "/" + program)) return true;
    start = end + 1;
  }
  return false;
}

Result<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv, const SubprocessOptions& options) {
  if (argv.empty()) return Status::Invalid("no program to run");
  if (!ProgramExists(argv[0])) return Status::NotFound(argv[0] + ": not found on PATH");
  Pipe out, err;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::Io(std::string("pipe: ") + strerror(errno));
  out.read = fds[0], out.write = fds[1];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::Io(std::string("pipe: ") + strerror(errno));
  err.read = fds[0], err.write = fds[1];

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  if (!options.working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::Io(argv[0] + ": cannot start: " + strerror(rc));
  close(out.write), out.write = -1;
  close(err.write), err.write = -1;

  SubprocessResult result;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  Status killed_for;
  bool too_much = false;
  struct pollfd fdset[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_streams = 2;
  while (open_streams > 0) {
    if (options.stop.stop_requested())
      killed_for = Status::Cancelled(argv[0] + ": stopped");
    else if (std::chrono::steady_clock::now() >= deadline)
      killed_for = Status::Unavailable(argv[0] + ": still running after the deadline; killed");
    if (!killed_for.ok() || too_much) break;
    int n = poll(fdset, 2, 100);  // wakes often enough to see a stop
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fdset[i].fd < 0 || !(fdset[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t got = read(fdset[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
        too_much = too_much || sinks[i]->size() > options.max_output;
      } else if (got == 0 || errno != EINTR) {
        fdset[i].fd = -1;
        --open_streams;
      }
    }
  }
  if (!killed_for.ok() || too_much) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!killed_for.ok()) return killed_for;
  if (too_much) return Status::Limit(argv[0] + ": printed more than " + std::to_string(options.max_output) + " bytes");
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace warren
