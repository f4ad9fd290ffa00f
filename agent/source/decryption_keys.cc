#include "agent/source/decryption_keys.h"

#include <openssl/crypto.h>

#include <fstream>
#include <sstream>

#include "diff/model/base64.h"

namespace warren::source {
namespace {

Result<std::pair<std::string, std::string>> SplitSecretName(const std::string& secret) {
  size_t slash = secret.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == secret.size() ||
      secret.find('/', slash + 1) != std::string::npos)
    return Status::Invalid("decryption Secret \"" + secret + "\": want NAMESPACE/NAME");
  return std::pair{secret.substr(0, slash), secret.substr(slash + 1)};
}

Result<std::optional<Json>> GetSecret(const std::string& secret, kube::Api* kube) {
  WARREN_ASSIGN_OR_RETURN(auto name, SplitSecretName(secret));
  if (!kube) return Status::Invalid("decryption Secret " + secret + ": no Kubernetes cluster to read it from");
  WARREN_ASSIGN_OR_RETURN(auto info, kube->Resolve("v1", "Secret"));
  auto got = kube->Get(info, name.first, name.second);
  if (!got.ok()) return got.status().WithContext("read decryption Secret " + secret);
  return got;
}

}  // namespace

Result<sops::Keyring> LoadKeyring(const DecryptionOptions& options, kube::Api* kube, std::string* secret_version) {
  sops::Keyring keys;
  for (const std::string& file : options.key_files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::Io("decryption key file " + file + ": cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    std::string contents = text.str();
    auto set = sops::ParseIdentities(contents, file);
    OPENSSL_cleanse(contents.data(), contents.size());
    if (!set.ok()) return set.status();
    keys.Add(std::move(set).value(), file);
  }
  if (!options.inline_keys.empty()) {
    WARREN_ASSIGN_OR_RETURN(auto set, sops::ParseIdentities(options.inline_keys, options.inline_source, true));
    keys.Add(std::move(set), options.inline_source);
  }
  if (!options.secret.empty()) {
    WARREN_ASSIGN_OR_RETURN(auto secret, GetSecret(options.secret, kube));
    if (secret_version)
      *secret_version = secret ? StringField(Field(*secret, "metadata"), "resourceVersion") : "absent";
    if (!secret) return Status::NotFound("decryption Secret " + options.secret + " does not exist");
    const Json& data = Field(*secret, "data");
    int entries = 0;
    if (data.is_object()) {
      for (auto it = data.begin(); it != data.end(); ++it) {
        const std::string& key = it.key();
        if (key.size() < 7 || key.compare(key.size() - 7, 7, ".agekey") != 0 || !it->is_string()) continue;
        std::string source = "Secret " + options.secret + " (" + key + ")";
        auto text = Base64Decode(it->get<std::string>());
        if (!text) return Status::Invalid(source + ": not base64");
        auto set = sops::ParseIdentities(*text, source);
        OPENSSL_cleanse(text->data(), text->size());
        if (!set.ok()) return set.status();
        keys.Add(std::move(set).value(), source);
        ++entries;
      }
    }
    if (entries == 0) return Status::Invalid("decryption Secret " + options.secret + " has no *.agekey entry");
  }
  return keys;
}

Result<std::string> KeySecretVersion(const DecryptionOptions& options, kube::Api* kube) {
  if (options.secret.empty()) return std::string();
  WARREN_ASSIGN_OR_RETURN(auto secret, GetSecret(options.secret, kube));
  if (!secret) return std::string("absent");
  return StringField(Field(*secret, "metadata"), "resourceVersion");
}

}  // namespace warren::source
