// A WarrenSource object (deploy/crd-warrensource.yaml) read as a source: what a --config source
// holds, with Secrets in place of credential files, plus suspend, a service account to act as, and
// the reconcile-request annotation. Pure: the Secrets are named here and written to files by the
// SourceController.
#pragma once

#include <optional>
#include <string>

#include "agent/forge/commit_status.h"

#include "agent/run/options.h"
#include "diff/model/object.h"
#include "diff/model/status.h"

namespace warren::run {

inline constexpr char kWarrenSourceApiVersion[] = "warren.io/v1alpha1";
inline constexpr char kWarrenSourceKind[] = "WarrenSource";
// Any new value asks for a reconcile now (Flux's reconcile.fluxcd.io/requestedAt).
inline constexpr char kReconcileRequestedAt[] = "warren.io/reconcile-requested-at";
// Set on a source with prune: true, so that its objects are pruned before it is gone.
inline constexpr char kPruneFinalizer[] = "warren.io/prune";

struct WarrenSource {
  std::string ns, name, uid;
  long long generation = 0;
  std::string service_account;  // "" = the agent's own rights
  std::string requested_at;     // the reconcile-request annotation's value
  std::string git_secret;       // Secret names in ns ("" = none)
  std::string rabbit_secret;
  std::string status_secret;
  std::optional<forge::StatusOptions> statuses;  // its own commit statuses (token from status_secret)
  SourceSpec spec;

  std::string Key() const { return ns + "/" + name; }
  // The user the source's requests impersonate: "system:serviceaccount:<ns>:<name>", or "".
  std::string User() const {
    return service_account.empty() ? "" : "system:serviceaccount:" + ns + ":" + service_account;
  }
};

// "<namespace>.<name>", the warren.io/source label of the source's objects: unique in the
// cluster. Beyond 63 characters (a label value's limit) it is cut and ends with a hash.
std::string SourceLabel(const std::string& ns, const std::string& name);

// The source `obj` describes, on top of `defaults` (the agent's settings). `state_dir`: where this
// source's git cache and credential files go (<state_dir>/repos/<label>, .../credentials/<label>).
// Errors name the object and the field: "WarrenSource dev/prod: spec.interval: ...".
Result<WarrenSource> DecodeWarrenSource(const Json& obj, const SourceSpec& defaults, const std::string& state_dir);

// Where DecodeWarrenSource points the clients at a source's credentials: the git auth file (token,
// or username:password), the SSH key and known_hosts, the RabbitMQ directory (username, password).
struct CredentialPaths {
  std::string dir, git_auth, ssh_key, known_hosts, rabbit_dir, forge_token;
};
CredentialPaths CredentialsOf(const std::string& state_dir, const std::string& label);

}  // namespace warren::run
