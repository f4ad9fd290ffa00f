// warren-emulator: a Kubernetes API server stand-in for tests and the demo.
//
//   warren-emulator --state-dir DIR [--port N] [--tick-ms N] [--history N] [--pod-hook CMD]
//                   [--token TOKEN=USER[:GROUP,...]]...
//
// Writes DIR/ca.crt, DIR/kubeconfig (context "admin": a system:masters token; "admin-cert": a
// client certificate; one context per --token, named after its user), DIR/admin.crt|key, and
// DIR/port last, once it is serving. Runs until SIGINT or SIGTERM.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "tests/emulator/api_server.h"

namespace {

std::atomic<bool> g_stop{false};

void Write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string RandomToken() {
  std::random_device rd;
  std::string t;
  for (int i = 0; i < 32; ++i) t += "0123456789abcdef"[rd() % 16];
  return t;
}

// "dev-warren" for system:serviceaccount:dev:warren, the user name itself otherwise.
std::string ContextName(const std::string& user) {
  if (user.rfind("system:serviceaccount:", 0) == 0) {
    std::string rest = user.substr(22);
    rest[rest.find(':')] = '-';
    return rest;
  }
  return user;
}

std::string Kubeconfig(const std::filesystem::path& dir, int port, const std::string& admin_token,
                       const std::map<std::string, emulator::UserInfo>& tokens) {
  std::string server = "https://127.0.0.1:" + std::to_string(port);
  std::string out = "apiVersion: v1\nkind: Config\nclusters:\n- name: emulator\n  cluster:\n    server: " + server +
                    "\n    certificate-authority: " + (dir / "ca.crt").string() + "\ncontexts:\n";
  auto context = [&](const std::string& name) {
    out += "- name: " + name + "\n  context:\n    cluster: emulator\n    user: " + name + "\n    namespace: default\n";
  };
  context("admin");
  context("admin-cert");
  for (const auto& [token, user] : tokens)
    if (token != admin_token) context(ContextName(user.name));
  out += "current-context: admin\nusers:\n- name: admin\n  user:\n    token: " + admin_token + "\n";
  out += "- name: admin-cert\n  user:\n    client-certificate: " + (dir / "admin.crt").string() +
         "\n    client-key: " + (dir / "admin.key").string() + "\n";
  for (const auto& [token, user] : tokens)
    if (token != admin_token) out += "- name: " + ContextName(user.name) + "\n  user:\n    token: " + token + "\n";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir;
  emulator::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "warren-emulator: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--state-dir")
      dir = next();
    else if (a == "--port")
      options.port = std::stoi(next());
    else if (a == "--tick-ms")
      options.tick_ms = std::stoi(next());
    else if (a == "--pod-hook")
      options.pod_hook = next();
    else if (a == "--history")
      options.history = std::stoul(next());
    else if (a == "--token") {
      std::string spec = next();
      size_t eq = spec.find('=');
      if (eq == std::string::npos) {
        std::cerr << "warren-emulator: --token wants TOKEN=USER[:GROUP,...]\n";
        return 2;
      }
      std::string user = spec.substr(eq + 1), groups;
      emulator::UserInfo info;
      if (user.rfind("system:serviceaccount:", 0) == 0) {
        std::string rest = user.substr(22);
        info = emulator::ServiceAccountUser(rest.substr(0, rest.find(':')), rest.substr(rest.find(':') + 1));
      } else {
        size_t colon = user.find(':');
        info.name = user.substr(0, colon);
        if (colon != std::string::npos)
          for (size_t s = colon + 1; s <= user.size();) {
            size_t e = user.find(',', s);
            if (e == std::string::npos) e = user.size();
            info.groups.push_back(user.substr(s, e - s));
            s = e + 1;
          }
      }
      options.tokens[spec.substr(0, eq)] = info;
    } else {
      std::cerr << "usage: warren-emulator --state-dir DIR [--port N] [--tick-ms N] [--pod-hook CMD] [--token "
                   "TOKEN=USER[:GROUPS]]...\n";
      return 2;
    }
  }
  if (dir.empty()) {
    std::cerr << "warren-emulator: --state-dir is required\n";
    return 2;
  }
  try {
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir / "port");
    emulator::Pki pki = emulator::MakePki();
    emulator::KeyPair admin_cert = emulator::IssueClientCert(pki, "kubernetes-admin", {"system:masters"});
    std::string admin_token = RandomToken();
    options.tokens[admin_token] = {"admin", {"system:masters"}};
    Write(dir / "ca.crt", pki.ca.cert_pem);
    Write(dir / "admin.crt", admin_cert.cert_pem);
    Write(dir / "admin.key", admin_cert.key_pem);
    std::filesystem::permissions(dir / "admin.key",
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    emulator::ApiServer server(pki, options);
    int port = server.Start();
    if (port <= 0) {
      std::cerr << "warren-emulator: cannot listen on 127.0.0.1:" << options.port << "\n";
      return 2;
    }
    Write(dir / "kubeconfig", Kubeconfig(dir, port, admin_token, options.tokens));
    // Written whole then renamed: a reader never sees an empty port file (a test under ASan did).
    Write(dir / "port.tmp", std::to_string(port) + "\n");
    std::filesystem::rename(dir / "port.tmp", dir / "port");
    std::cout << "warren-emulator: serving https://127.0.0.1:" << port
              << " (KUBECONFIG=" << (dir / "kubeconfig").string() << ")" << std::endl;
    std::signal(SIGINT, [](int) { g_stop = true; });
    std::signal(SIGTERM, [](int) { g_stop = true; });
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.Stop();
  } catch (const std::exception& e) {
    std::cerr << "warren-emulator: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
