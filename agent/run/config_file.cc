#include "agent/run/config_file.h"

#include <map>
#include <set>

#include "agent/rollout/node_address.h"
#include "agent/run/field_reader.h"
#include "diff/model/decode.h"

namespace warren::run {
namespace {

Result<SourceSpec> ParseSource(const Json& entry, const std::string& where, const SourceSpec& defaults) {
  if (!entry.is_object()) return Status::Invalid(where + ": must be a mapping");
  FieldReader r(entry, where);
  WARREN_RETURN_IF_ERROR(r.Unknown({"name", "repo", "ref", "path", "paths", "cacheDir", "authFile", "sshKey",
                                    "knownHosts", "caFile", "allowedSigners", "requireSigned", "kustomizeCommand",
                                    "namespace", "inventoryNamespace", "prune", "interval", "rabbitmq", "decryption"}));
  SourceSpec s = defaults;
  s.desired.git.reset();
  s.desired.paths.clear();
  s.rabbit.reset();
  WARREN_RETURN_IF_ERROR(r.String("name", &s.name));
  if (s.name.empty() || s.name.size() > 63 ||
      s.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
    return Status::Invalid(where + ".name: \"" + s.name +
                           "\" must be a DNS label (lower-case letters, digits, -), it becomes a label value");
  std::string repo;
  WARREN_RETURN_IF_ERROR(r.String("repo", &repo));
  WARREN_RETURN_IF_ERROR(r.Strings("paths", &s.desired.paths));
  if (repo.empty() == s.desired.paths.empty()) return Status::Invalid(where + ": give either repo or paths");
  if (!repo.empty()) {
    git::SourceOptions g = defaults.desired.git.value_or(git::SourceOptions{});
    g.url = repo;
    WARREN_RETURN_IF_ERROR(r.String("ref", &g.ref));
    WARREN_RETURN_IF_ERROR(r.String("path", &g.path));
    WARREN_RETURN_IF_ERROR(r.String("cacheDir", &g.cache_dir));
    WARREN_RETURN_IF_ERROR(r.String("authFile", &g.auth_file));
    WARREN_RETURN_IF_ERROR(r.String("sshKey", &g.ssh_key));
    WARREN_RETURN_IF_ERROR(r.String("knownHosts", &g.known_hosts));
    WARREN_RETURN_IF_ERROR(r.String("caFile", &g.ca_file));
    WARREN_RETURN_IF_ERROR(r.String("allowedSigners", &g.allowed_signers));
    WARREN_RETURN_IF_ERROR(r.Bool("requireSigned", &g.require_signed));
    s.desired.git = g;
  }
  WARREN_RETURN_IF_ERROR(r.String("kustomizeCommand", &s.desired.kustomize.command));
  if (entry.contains("decryption")) {  // age identities for this source's SOPS files
    if (!entry["decryption"].is_object()) return Status::Invalid(where + ".decryption: must be a mapping");
    FieldReader d(entry["decryption"], where + ".decryption");
    WARREN_RETURN_IF_ERROR(d.Unknown({"keyFiles", "secret"}));
    std::vector<std::string> files;
    WARREN_RETURN_IF_ERROR(d.Strings("keyFiles", &files));
    if (!files.empty()) s.desired.decryption.key_files = files;
    WARREN_RETURN_IF_ERROR(d.String("secret", &s.desired.decryption.secret));
  }
  WARREN_RETURN_IF_ERROR(r.String("namespace", &s.ns));
  WARREN_RETURN_IF_ERROR(r.String("inventoryNamespace", &s.inventory_ns));
  WARREN_RETURN_IF_ERROR(r.Bool("prune", &s.prune));
  WARREN_RETURN_IF_ERROR(r.Duration("interval", &s.interval));
  if (entry.contains("rabbitmq")) {
    if (!entry["rabbitmq"].is_object()) return Status::Invalid(where + ".rabbitmq: must be a mapping");
    FieldReader rr(entry["rabbitmq"], where + ".rabbitmq");
    WARREN_RETURN_IF_ERROR(
        rr.Unknown({"urls", "credentialsFile", "caFile", "timeout", "inventory", "podUrlTemplate", "nodeUrls"}));
    RabbitTarget t;
    WARREN_RETURN_IF_ERROR(rr.Strings("urls", &t.urls));
    if (t.urls.empty()) return Status::Invalid(where + ".rabbitmq.urls: at least one management URL");
    WARREN_RETURN_IF_ERROR(rr.String("credentialsFile", &t.credentials_file));
    WARREN_RETURN_IF_ERROR(rr.String("caFile", &t.ca_file));
    WARREN_RETURN_IF_ERROR(rr.Duration("timeout", &t.timeout));
    WARREN_RETURN_IF_ERROR(rr.String("inventory", &t.inventory));
    WARREN_RETURN_IF_ERROR(rr.String("podUrlTemplate", &t.pod_url_template));
    WARREN_RETURN_IF_ERROR(rr.Strings("nodeUrls", &t.node_urls));
    for (const std::string& u : t.node_urls) {
      std::map<std::string, std::string> check;
      if (Status bad = rollout::ParseNodeUrl(u, check); !bad.ok()) return bad.WithContext(where + ".rabbitmq.nodeUrls");
    }
    s.rabbit = t;
  }
  return s;
}

}  // namespace

Result<std::vector<SourceSpec>> ParseConfig(const std::string& text, const std::string& file,
                                            const SourceSpec& defaults) {
  WARREN_ASSIGN_OR_RETURN(auto docs, DecodeYaml(text, file));
  if (docs.size() != 1 || !docs[0].value.is_object())
    return Status::Invalid(file + ": expected one YAML mapping with a sources list");
  const Json& root = docs[0].value;
  FieldReader r(root, file);
  WARREN_RETURN_IF_ERROR(r.Unknown({"sources"}));
  if (!root.contains("sources") || !root["sources"].is_array() || root["sources"].empty())
    return Status::Invalid(file + ": sources must be a non-empty list");
  std::vector<SourceSpec> out;
  std::set<std::string> names;
  for (size_t i = 0; i < root["sources"].size(); ++i) {
    WARREN_ASSIGN_OR_RETURN(auto s,
                            ParseSource(root["sources"][i], file + ": sources[" + std::to_string(i) + "]", defaults));
    if (!names.insert(s.name).second)
      return Status::Invalid(file + ": sources[" + std::to_string(i) + "].name: \"" + s.name + "\" is used twice");
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace warren::run
