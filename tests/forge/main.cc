// warren-forge-stub: the commit-status stand-in (tests/integration/forge_stub.h) as a process, for
// the demo. Serves GitHub's, Gitea's and GitLab's status APIs under /github, /gitea/api/v1 and
// /gitlab/api/v4 on loopback, and GET /statuses lists what was posted.
//   warren-forge-stub TOKEN_FILE PORT_FILE     (runs until SIGTERM)
#include <signal.h>

#include <fstream>
#include <iostream>

#include "tests/integration/forge_stub.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: warren-forge-stub TOKEN_FILE PORT_FILE\n";
    return 2;
  }
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  std::string token;
  std::getline(std::ifstream(argv[1]), token);
  warren::testing::ForgeStub stub(token);
  std::ofstream(argv[2]) << stub.port() << "\n";
  int sig = 0;
  sigwait(&s, &sig);
  return 0;
}
