#include "agent/webhook/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "diff/model/object.h"

namespace warren::webhook {
namespace {

Verdict Answer(int status, std::string result, std::string body) {
  Verdict v;
  v.status = status;
  v.result = std::move(result);
  v.body = std::move(body) + "\n";
  return v;
}

// The same fixed answer whatever was wrong: a prober learns nothing from it.
Verdict Unauthorized() { return Answer(401, "unauthorized", "signature or token missing or wrong"); }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "https://host/Org/Repo.git/" -> "host/org/repo"; "git@host:org/repo.git" -> "host/org/repo".
std::string NormalizeRepo(std::string url) {
  url = Lower(url);
  size_t scheme = url.find("://");
  if (scheme != std::string::npos) url = url.substr(scheme + 3);
  size_t at = url.find('@');
  if (at != std::string::npos && at < url.find('/')) url = url.substr(at + 1);
  size_t colon = url.find(':');
  if (colon != std::string::npos && colon < url.find('/')) {  // scp-like, or host:port
    std::string after = url.substr(colon + 1);
    bool port = !after.empty() && std::isdigit(static_cast<unsigned char>(after[0]));
    if (!port) url[colon] = '/';
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() > 4 && url.compare(url.size() - 4, 4, ".git") == 0) url.resize(url.size() - 4);
  return url;
}

}  // namespace

const char* ForgeName(Forge f) {
  switch (f) {
    case Forge::kGitHub:
      return "github";
    case Forge::kGitea:
      return "gitea";
    case Forge::kGitLab:
      return "gitlab";
  }
  return "?";
}

std::string HmacSha256Hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool DeliveryLog::FirstTime(const std::string& id) {
  if (id.empty()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  if (!seen_.insert(id).second) return false;
  order_.push_back(id);
  if (order_.size() > capacity_) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

Verdict Receive(Forge forge, const std::string& secret, const std::function<std::string(const std::string&)>& header,
                const std::string& body) {
  // 1. Authenticity, over the raw bytes, before anything is parsed. A delivery handed on by
  // another replica carries that replica's signature instead of the forge's.
  std::string event, delivery;
  const std::string forwarded = header(kForwardSignatureHeader);
  if (!forwarded.empty()) {
    if (!ConstantTimeEquals(Lower(forwarded), ForwardSignature(secret, body))) return Unauthorized();
  } else if (forge == Forge::kGitHub) {
    std::string sig = header("X-Hub-Signature-256");
    if (sig.rfind("sha256=", 0) != 0) return Unauthorized();  // X-Hub-Signature (SHA-1) alone is refused
    if (!ConstantTimeEquals(Lower(sig.substr(7)), HmacSha256Hex(secret, body))) return Unauthorized();
  } else if (forge == Forge::kGitea) {
    std::string sig = header("X-Gitea-Signature");
    if (sig.empty()) sig = header("X-Forgejo-Signature");
    if (sig.empty() || !ConstantTimeEquals(Lower(sig), HmacSha256Hex(secret, body))) return Unauthorized();
  } else {
    if (!ConstantTimeEquals(header("X-Gitlab-Token"), secret)) return Unauthorized();
  }
  if (forge == Forge::kGitHub) {
    event = header("X-GitHub-Event");
    delivery = header("X-GitHub-Delivery");
  } else if (forge == Forge::kGitea) {
    event = header("X-Gitea-Event");
    if (event.empty()) event = header("X-Forgejo-Event");
    delivery = header("X-Gitea-Delivery");
    if (delivery.empty()) delivery = header("X-Forgejo-Delivery");
  } else {
    event = header("X-Gitlab-Event");
    delivery = header("X-Gitlab-Event-UUID");
  }
  // 2. What it is.
  Verdict v;
  v.delivery = delivery;
  if (forge == Forge::kGitHub && event == "ping") return Answer(200, "ping", "pong");
  bool push = forge == Forge::kGitLab ? (event == "Push Hook" || event == "Tag Push Hook") : event == "push";
  if (!push) {
    v = Answer(202, "ignored", "event \"" + event + "\" ignored: warren acts on pushes");
    v.delivery = delivery;
    return v;
  }
  Json j = Json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("ref") || !j["ref"].is_string()) {
    v = Answer(400, "bad_request", "a push payload must be a JSON object with a ref");
    v.delivery = delivery;
    return v;
  }
  Push p;
  p.ref = j["ref"].get<std::string>();
  p.after = StringField(j, "after");
  const Json& repo = forge == Forge::kGitLab ? Field(j, "project") : Field(j, "repository");
  for (const char* k : {"clone_url", "ssh_url", "html_url", "git_http_url", "git_ssh_url", "web_url", "full_name",
                        "path_with_namespace"})
    if (Field(repo, k).is_string()) p.repository_urls.push_back(Field(repo, k).get<std::string>());
  v = Answer(202, "accepted", "accepted: " + p.ref);
  v.delivery = delivery;
  v.push = p;
  return v;
}

std::string ForwardSignature(const std::string& secret, const std::string& body) {
  return "sha256=" + HmacSha256Hex(secret, body);
}

bool IsCredentialHeader(const std::string& name) {
  std::string n = Lower(name);
  return n.find("token") != std::string::npos || n.find("signature") != std::string::npos;
}

bool Matches(const Push& push, const std::string& url, const std::string& ref) {
  bool commit = ref.size() == 40 && ref.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (commit) return false;  // a pinned commit never moves
  if (push.ref != "refs/heads/" + ref && push.ref != "refs/tags/" + ref && push.ref != ref) return false;
  std::string want = NormalizeRepo(url);
  for (const std::string& u : push.repository_urls) {
    std::string have = NormalizeRepo(u);
    // full_name ("org/repo") matches the URL's path end.
    if (have == want ||
        (want.size() > have.size() && want.compare(want.size() - have.size() - 1, have.size() + 1, "/" + have) == 0))
      return true;
  }
  return false;
}

}  // namespace warren::webhook
