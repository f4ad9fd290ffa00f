// secret-in-plaintext: a Secret whose values git holds readable. Base64 under `data` is an
// encoding, not encryption: anyone who can read the repository can read the password. SOPS files
// (decrypted by the loader) say which values they held encrypted; those are fine.
#include "diff/check/rules.h"

namespace warren::check {

void CheckPlaintextSecrets(const ManifestIndex& index, Findings* out) {
  for (const Object* s : index.OfKind("", "Secret")) {
    std::vector<std::string> plain;
    std::string first;
    for (const PlainSecretValue& v : PlainSecretValues(*s)) {
      if (v.value->is_string() && v.value->get_ref<const std::string&>().empty()) continue;
      if (first.empty()) first = v.pointer;
      plain.push_back(v.field + "." + v.key);
    }
    if (plain.empty()) continue;
    std::string names = FirstNames(plain);
    out->push_back(MakeFinding(
        "secret-in-plaintext", Severity::kWarning, *s, first,
        std::to_string(plain.size()) + " value(s) kept in git unencrypted (" + names +
            "): base64 is an encoding, anyone who can read the repository can read them",
        "encrypt the file with SOPS (sops --encrypt --age RECIPIENT --encrypted-regex '^(data|stringData)$' -i FILE) "
        "and give warren the age key, or keep the Secret out of git (warren.io/external-secrets)"));
  }
}

}  // namespace warren::check
