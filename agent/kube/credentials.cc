#include "agent/kube/credentials.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "diff/model/object.h"

namespace warren::kube {
namespace {

using Clock = std::chrono::steady_clock;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// RFC 3339 → seconds from now (negative when past); nullopt when unparsable.
std::optional<long> SecondsUntil(const std::string& ts) {
  std::tm tm{};
  if (!strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return static_cast<long>(timegm(&tm) - std::time(nullptr));
}

}  // namespace

Result<Credential> CredentialSource::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (have_cached_ && Clock::now() < expires_) return cached_;
  Credential c;
  if (!config_.token.empty()) {
    c.token = config_.token;
    expires_ = Clock::time_point::max();
  } else if (!config_.token_file.empty()) {
    std::ifstream in(config_.token_file);
    if (!in) return Status::Io("cannot read the token file " + config_.token_file);
    std::ostringstream s;
    s << in.rdbuf();
    c.token = s.str();
    while (!c.token.empty() && isspace(static_cast<unsigned char>(c.token.back()))) c.token.pop_back();
    expires_ = Clock::now() + std::chrono::minutes(1);  // client-go re-reads every minute
  } else if (config_.exec) {
    WARREN_ASSIGN_OR_RETURN(auto r, RunExec());
    c = r;
  } else {
    c.client_cert_pem = config_.client_cert_pem;
    c.client_key_pem = config_.client_key_pem;
    expires_ = Clock::time_point::max();
  }
  cached_ = c;
  have_cached_ = true;
  return c;
}

void CredentialSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  have_cached_ = false;
}

Result<Credential> CredentialSource::RunExec() {
  const ExecPlugin& p = *config_.exec;
  std::string api = p.api_version.empty() ? "client.authentication.k8s.io/v1" : p.api_version;
  Json info = {{"apiVersion", api}, {"kind", "ExecCredential"}, {"spec", {{"interactive", false}}}};
  std::string cmd = "KUBERNETES_EXEC_INFO=" + ShellQuote(info.dump());
  for (const auto& [k, v] : p.env) cmd += " " + k + "=" + ShellQuote(v);
  cmd += " " + ShellQuote(p.command);
  for (const std::string& a : p.args) cmd += " " + ShellQuote(a);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return Status::Io("exec credential plugin " + p.command + ": cannot start");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Status(StatusCode::kUnauthenticated, "exec credential plugin " + p.command + " failed (exit " +
                                                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  Json j = Json::parse(out, nullptr, false);
  if (!j.is_object() || StringField(j, "kind") != "ExecCredential" || !Field(j, "status").is_object())
    return Status(StatusCode::kUnauthenticated,
                  "exec credential plugin " + p.command + " did not print an ExecCredential");
  const Json& st = j["status"];
  Credential c;
  c.token = StringField(st, "token");
  c.client_cert_pem = StringField(st, "clientCertificateData");
  c.client_key_pem = StringField(st, "clientKeyData");
  if (c.token.empty() && c.client_cert_pem.empty())
    return Status(StatusCode::kUnauthenticated,
                  "exec credential plugin " + p.command + " returned neither a token nor a certificate");
  expires_ = Clock::time_point::max();
  if (st.contains("expirationTimestamp") && st["expirationTimestamp"].is_string()) {
    // Renew 10 s early; far-future expiries are capped at a day (and kept clear of clock overflow).
    auto left = SecondsUntil(st["expirationTimestamp"].get<std::string>());
    expires_ = Clock::now() + std::chrono::seconds(left ? std::clamp(*left - 10, 0L, 86400L) : 0);
  }
  return c;
}

}  // namespace warren::kube
