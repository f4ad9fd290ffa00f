// Push webhooks from GitHub, Gitea/Forgejo and GitLab: verified over the exact bytes received,
// before anything is parsed; compared in constant time (CRYPTO_memcmp); SHA-1 signatures refused;
// replays of a delivery id dropped. What a valid push asks for is a fetch of the sources whose
// repository and ref it names: the caller triggers them.
//
//   GitHub  X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>   X-GitHub-Event: push|ping
//   Gitea   X-Gitea-Signature: <hex HMAC-SHA256(secret, body)>           X-Gitea-Event: push
//           (Forgejo: X-Forgejo-Signature, X-Forgejo-Event)
//   GitLab  X-Gitlab-Token: <the secret>                                  X-Gitlab-Event: Push Hook|Tag Push Hook
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace warren::webhook {

enum class Forge { kGitHub, kGitea, kGitLab };
const char* ForgeName(Forge f);

struct Push {
  std::string ref;                           // refs/heads/main, refs/tags/v1
  std::string after;                         // the new commit (all zeros: the ref was deleted)
  std::vector<std::string> repository_urls;  // clone URLs, web URL, full name
};

// What to answer and what it means. `result` is the metric label: accepted (a push to act on),
// ping, ignored (another event), duplicate, unauthorized, bad_request.
struct Verdict {
  int status = 400;
  std::string body;
  std::string result;
  std::string delivery;
  std::optional<Push> push;
};

// `header` returns a request header's value ("" when absent), case-insensitively.
Verdict Receive(Forge forge, const std::string& secret, const std::function<std::string(const std::string&)>& header,
                const std::string& body);

// A replica that hands a delivery on to the leader signs it itself (sha256=<hex HMAC-SHA256(secret,
// body)> in this header) and drops the forge's credential headers, so the secret, which GitLab
// sends as it is, never travels further than the forge sent it. Receive accepts either.
inline constexpr const char* kForwardSignatureHeader = "X-Warren-Signature";
std::string ForwardSignature(const std::string& secret, const std::string& body);
// True for a header that carries a credential or a signature (X-Gitlab-Token, X-Hub-Signature-256, ...).
bool IsCredentialHeader(const std::string& name);

// Lower-case hex HMAC-SHA256.
std::string HmacSha256Hex(const std::string& key, const std::string& data);
// Equal, in time that depends on the lengths only.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

// The last `capacity` delivery ids: a repeat is a replay.
class DeliveryLog {
 public:
  explicit DeliveryLog(size_t capacity = 4096) : capacity_(capacity) {}
  // True the first time an id is seen (and remembers it); empty ids are never duplicates.
  bool FirstTime(const std::string& id);

 private:
  size_t capacity_;
  std::mutex mu_;
  std::deque<std::string> order_;
  std::set<std::string> seen_;
};

// Does a push to `push` concern a source fetching `ref` (a branch, a tag or a commit id) of `url`?
bool Matches(const Push& push, const std::string& url, const std::string& ref);

}  // namespace warren::webhook
