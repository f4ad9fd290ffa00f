#include "agent/kube/kubeconfig.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "diff/model/base64.h"
#include "diff/model/decode.h"
#include "diff/model/object.h"

namespace warren::kube {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Named {
  Json value;
  std::string file;  // where it was defined, for relative paths and errors
};

// The first file to define a name wins, as in kubectl.
void Collect(const Json& doc, const char* list, const char* inner, const std::string& file,
             std::map<std::string, Named>* out) {
  auto it = doc.find(list);
  if (it == doc.end() || !it->is_array()) return;
  for (const Json& item : *it) {
    if (!item.is_object() || !item.contains("name")) continue;
    std::string name = item["name"].is_string() ? item["name"].get<std::string>() : "";
    if (!out->count(name)) (*out)[name] = {item.value(inner, Json::object()), file};
  }
}

std::string Resolve(const std::string& path, const std::string& file) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(file).parent_path() / path).string();
}

std::string Str(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

Status ReadPemField(const Json& obj, const char* file_key, const char* data_key, const std::string& file,
                    std::string* out_file, std::string* out_pem) {
  std::string data = Str(obj, data_key);
  if (!data.empty()) {
    auto pem = Base64Decode(data);
    if (!pem) return Status::Invalid(file + ": " + data_key + " is not valid base64");
    *out_pem = *pem;
    return Status::Ok();
  }
  std::string path = Resolve(Str(obj, file_key), file);
  if (path.empty()) return Status::Ok();
  if (out_file) {
    *out_file = path;
    return Status::Ok();
  }
  auto pem = ReadFile(path);
  if (!pem.ok()) return pem.status().WithContext(file + ": " + file_key);
  *out_pem = pem.value();
  return Status::Ok();
}

}  // namespace

Result<ClusterConfig> LoadKubeconfig(const KubeconfigOptions& options) {
  std::vector<std::string> files;
  if (!options.kubeconfig.empty()) {
    files.push_back(options.kubeconfig);
  } else if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string list = env;
    for (size_t start = 0; start <= list.size();) {
      size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      if (end > start) files.push_back(list.substr(start, end - start));
      start = end + 1;
    }
  } else if (const char* home = std::getenv("HOME")) {
    files.push_back(std::string(home) + "/.kube/config");
  }
  std::map<std::string, Named> clusters, users, contexts;
  std::string current;
  bool any = false;
  for (const std::string& f : files) {
    std::error_code ec;
    if (!fs::exists(f, ec)) {
      if (!options.kubeconfig.empty()) return Status::NotFound("kubeconfig " + f + " does not exist");
      continue;  // KUBECONFIG entries that do not exist are skipped, as by kubectl
    }
    WARREN_ASSIGN_OR_RETURN(auto text, ReadFile(f));
    WARREN_ASSIGN_OR_RETURN(auto docs, DecodeYaml(text, f));
    if (docs.empty() || !docs[0].value.is_object()) continue;
    const Json& doc = docs[0].value;
    any = true;
    Collect(doc, "clusters", "cluster", f, &clusters);
    Collect(doc, "users", "user", f, &users);
    Collect(doc, "contexts", "context", f, &contexts);
    if (current.empty()) current = Str(doc, "current-context");
  }
  if (!any)
    return Status::NotFound("no kubeconfig found (looked at " + (files.empty() ? std::string("nothing") : files[0]) +
                            "); name a kubeconfig file or set KUBECONFIG");
  std::string context = options.context.empty() ? current : options.context;
  if (context.empty()) return Status::Invalid("kubeconfig: no current-context; name a context");
  auto ctx = contexts.find(context);
  if (ctx == contexts.end()) return Status::NotFound("kubeconfig: context \"" + context + "\" is not defined");
  std::string cluster_name = Str(ctx->second.value, "cluster"), user_name = Str(ctx->second.value, "user");
  auto cl = clusters.find(cluster_name);
  if (cl == clusters.end())
    return Status::NotFound("kubeconfig: context \"" + context + "\" names cluster \"" + cluster_name +
                            "\", which is not defined");
  ClusterConfig out;
  out.context = context;
  const Json& c = cl->second.value;
  out.server = Str(c, "server");
  if (out.server.empty()) return Status::Invalid(cl->second.file + ": cluster \"" + cluster_name + "\" has no server");
  while (!out.server.empty() && out.server.back() == '/') out.server.pop_back();
  out.tls_server_name = Str(c, "tls-server-name");
  if (const Json& skip = Field(c, "insecure-skip-tls-verify"); !skip.is_null()) {
    if (!skip.is_boolean())
      return Status::Invalid(cl->second.file + ": cluster \"" + cluster_name +
                             "\": insecure-skip-tls-verify must be true or false, not " +
                             std::string(skip.type_name()));
    out.insecure_skip_verify = skip.get<bool>();
  }
  WARREN_RETURN_IF_ERROR(ReadPemField(c, "certificate-authority", "certificate-authority-data", cl->second.file,
                                      &out.ca_file, &out.ca_pem));
  if (!user_name.empty()) {
    auto u = users.find(user_name);
    if (u == users.end())
      return Status::NotFound("kubeconfig: context \"" + context + "\" names user \"" + user_name +
                              "\", which is not defined");
    const Json& user = u->second.value;
    out.token = Str(user, "token");
    out.token_file = Resolve(Str(user, "tokenFile"), u->second.file);
    WARREN_RETURN_IF_ERROR(ReadPemField(user, "client-certificate", "client-certificate-data", u->second.file, nullptr,
                                        &out.client_cert_pem));
    WARREN_RETURN_IF_ERROR(
        ReadPemField(user, "client-key", "client-key-data", u->second.file, nullptr, &out.client_key_pem));
    if (user.contains("exec") && user["exec"].is_object()) {
      const Json& e = user["exec"];
      ExecPlugin p;
      p.api_version = Str(e, "apiVersion");
      p.command = Str(e, "command");
      if (p.command.empty())
        return Status::Invalid(u->second.file + ": user \"" + user_name + "\" exec has no command");
      if (p.command.find('/') != std::string::npos) p.command = Resolve(p.command, u->second.file);
      for (const Json& a : e.value("args", Json::array()))
        if (a.is_string()) p.args.push_back(a.get<std::string>());
      for (const Json& kv : e.value("env", Json::array()))
        if (kv.is_object()) p.env.emplace_back(Str(kv, "name"), Str(kv, "value"));
      out.exec = p;
    }
  }
  out.namespace_ = !options.namespace_.empty() ? options.namespace_ : Str(ctx->second.value, "namespace");
  if (out.namespace_.empty()) out.namespace_ = "default";
  return out;
}

Result<ClusterConfig> LoadInCluster(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port)
    return Status::NotFound(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  ClusterConfig out;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  out.server = "https://" + h + ":" + port;
  out.token_file = sa_dir + "/token";
  std::error_code ec;
  if (!fs::exists(out.token_file, ec))
    return Status::NotFound("in-cluster: no service account token at " + out.token_file);
  if (fs::exists(sa_dir + "/ca.crt", ec)) out.ca_file = sa_dir + "/ca.crt";
  auto ns = ReadFile(sa_dir + "/namespace");
  out.namespace_ = ns.ok() ? ns.value() : "default";
  while (!out.namespace_.empty() && isspace(static_cast<unsigned char>(out.namespace_.back())))
    out.namespace_.pop_back();
  return out;
}

}  // namespace warren::kube
