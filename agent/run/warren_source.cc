#include "agent/run/warren_source.h"

#include <functional>

#include "agent/rollout/node_address.h"
#include "agent/run/field_reader.h"

namespace warren::run {
namespace {

// A {name: ...} reference to a Secret of the object's namespace; "" when absent.
Status SecretName(const FieldReader& r, const char* key, std::string* out) {
  if (!r.has(key)) return Status::Ok();
  FieldReader ref = r.Child(key);
  if (!ref.is_object()) return r.Bad(key, "must be an object with a name");
  WARREN_RETURN_IF_ERROR(ref.String("name", out));
  if (out->empty()) return ref.Bad("name", "must name a Secret");
  return Status::Ok();
}

Status PositiveDuration(const FieldReader& r, const char* key, std::chrono::milliseconds* out) {
  std::chrono::milliseconds d = *out;
  WARREN_RETURN_IF_ERROR(r.Duration(key, &d));
  if (d.count() <= 0) return r.Bad(key, "must be more than 0");
  *out = d;
  return Status::Ok();
}

}  // namespace

std::string SourceLabel(const std::string& ns, const std::string& name) {
  std::string label = ns + "." + name;
  if (label.size() <= 63) return label;
  char hash[17];
  snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(label));
  return label.substr(0, 46) + "-" + hash;
}

CredentialPaths CredentialsOf(const std::string& state_dir, const std::string& label) {
  CredentialPaths p;
  p.dir = state_dir + "/credentials/" + label;
  p.git_auth = p.dir + "/git-auth";
  p.ssh_key = p.dir + "/git-identity";
  p.known_hosts = p.dir + "/git-known-hosts";
  p.rabbit_dir = p.dir + "/rabbitmq";
  p.forge_token = p.dir + "/forge-token";
  return p;
}

Result<WarrenSource> DecodeWarrenSource(const Json& obj, const SourceSpec& defaults, const std::string& state_dir) {
  WarrenSource w;
  const Json meta = obj.value("metadata", Json::object());
  w.ns = meta.value("namespace", "");
  w.name = meta.value("name", "");
  w.uid = meta.value("uid", "");
  w.generation = meta.value("generation", 0LL);
  const Json annotations = meta.value("annotations", Json::object());
  if (annotations.is_object() && annotations.contains(kReconcileRequestedAt) &&
      annotations[kReconcileRequestedAt].is_string())
    w.requested_at = annotations[kReconcileRequestedAt].get<std::string>();
  const std::string where = std::string(kWarrenSourceKind) + " " + w.Key();
  if (w.ns.empty() || w.name.empty()) return Status::Invalid(where + ": metadata: a namespace and a name are needed");
  static const Json kNone;
  const FieldReader spec(obj.contains("spec") ? obj["spec"] : kNone, where + ": spec");
  if (!spec.is_object()) return Status::Invalid(where + ": spec: must be an object");

  SourceSpec& s = w.spec;
  s = defaults;
  s.name = SourceLabel(w.ns, w.name);
  s.desired.paths.clear();
  s.rabbit.reset();
  s.ns = w.ns;
  s.inventory_ns = w.ns;
  s.prune = false;
  const std::string label = s.name;
  const CredentialPaths creds = CredentialsOf(state_dir, label);

  git::SourceOptions g = defaults.desired.git.value_or(git::SourceOptions{});
  g.auth_file = g.ssh_key = g.known_hosts = g.ca_file = g.allowed_signers = "";
  g.require_signed = false;
  g.path = "";
  g.ref = "main";
  WARREN_RETURN_IF_ERROR(spec.String("repo", &g.url));
  if (g.url.empty()) return spec.Bad("repo", "a git repository URL is needed");
  WARREN_RETURN_IF_ERROR(spec.String("ref", &g.ref));
  if (g.ref.empty()) g.ref = "main";
  WARREN_RETURN_IF_ERROR(spec.String("path", &g.path));
  g.cache_dir = state_dir + "/repos/" + label;
  WARREN_RETURN_IF_ERROR(SecretName(spec, "secretRef", &w.git_secret));
  if (!w.git_secret.empty()) {
    bool ssh = g.url.rfind("ssh://", 0) == 0 ||
               (g.url.find("://") == std::string::npos && g.url.find('@') != std::string::npos);
    if (ssh) {
      g.ssh_key = creds.ssh_key;
      g.known_hosts = creds.known_hosts;
    } else {
      g.auth_file = creds.git_auth;
    }
  }
  s.desired.git = g;

  WARREN_RETURN_IF_ERROR(PositiveDuration(spec, "interval", &s.interval));
  WARREN_RETURN_IF_ERROR(spec.Bool("prune", &s.prune));
  WARREN_RETURN_IF_ERROR(spec.Bool("suspend", &s.suspend));
  WARREN_RETURN_IF_ERROR(spec.String("serviceAccountName", &w.service_account));
  s.dry_run_first = !w.service_account.empty();  // its RBAC may refuse part of a commit
  std::string target, inventory;
  WARREN_RETURN_IF_ERROR(spec.String("targetNamespace", &target));
  WARREN_RETURN_IF_ERROR(spec.String("inventoryNamespace", &inventory));
  if (!target.empty()) s.ns = target;
  if (!inventory.empty()) s.inventory_ns = inventory;

  s.desired.decryption = {};
  if (spec.has("decryption")) {
    FieldReader d = spec.Child("decryption");
    if (!d.is_object()) return spec.Bad("decryption", "must be an object");
    std::string provider = "sops", secret;
    WARREN_RETURN_IF_ERROR(d.String("provider", &provider));
    if (provider != "sops") return d.Bad("provider", "\"" + provider + "\" is not supported (sops is)");
    WARREN_RETURN_IF_ERROR(SecretName(d, "secretRef", &secret));
    if (secret.empty()) return d.Bad("secretRef", "a Secret with the age identity is needed");
    s.desired.decryption.secret = w.ns + "/" + secret;
  }

  if (spec.has("commitStatus")) {
    FieldReader c = spec.Child("commitStatus");
    if (!c.is_object()) return spec.Bad("commitStatus", "must be an object");
    forge::StatusOptions o;
    WARREN_RETURN_IF_ERROR(c.String("provider", &o.provider));
    if (o.provider != "github" && o.provider != "gitea" && o.provider != "gitlab")
      return c.Bad("provider", "\"" + o.provider + "\" is not one of github, gitea, gitlab");
    WARREN_RETURN_IF_ERROR(c.String("apiUrl", &o.api_url));
    WARREN_RETURN_IF_ERROR(c.String("repo", &o.repo));
    if (o.api_url.empty() || o.repo.empty()) return c.Bad(o.api_url.empty() ? "apiUrl" : "repo", "is needed");
    WARREN_RETURN_IF_ERROR(SecretName(c, "secretRef", &w.status_secret));
    if (w.status_secret.empty()) return c.Bad("secretRef", "a Secret with the API token is needed");
    o.token_file = creds.forge_token;
    w.statuses = o;
  }

  if (spec.has("rabbitmq")) {
    FieldReader r = spec.Child("rabbitmq");
    if (!r.is_object()) return spec.Bad("rabbitmq", "must be an object");
    RabbitTarget t;
    WARREN_RETURN_IF_ERROR(r.Strings("urls", &t.urls));
    if (t.urls.empty()) return r.Bad("urls", "at least one management URL");
    WARREN_RETURN_IF_ERROR(SecretName(r, "credentialsSecretRef", &w.rabbit_secret));
    if (!w.rabbit_secret.empty()) t.credentials_file = creds.rabbit_dir;
    WARREN_RETURN_IF_ERROR(PositiveDuration(r, "timeout", &t.timeout));
    WARREN_RETURN_IF_ERROR(r.String("podUrlTemplate", &t.pod_url_template));
    WARREN_RETURN_IF_ERROR(r.Strings("nodeUrls", &t.node_urls));
    for (const std::string& u : t.node_urls) {
      std::map<std::string, std::string> check;
      if (Status bad = rollout::ParseNodeUrl(u, check); !bad.ok()) return r.Bad("nodeUrls", bad.message());
    }
    s.rabbit = t;
  }
  return w;
}

}  // namespace warren::run
