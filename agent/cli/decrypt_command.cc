// warren decrypt FILE: what the agent sees of a SOPS file, for a person finding out why a file is
// refused. The same reader as the loader (Kubernetes' YAML rules for the plaintext fields), the
// same MAC check, the same messages.
#include <fstream>
#include <sstream>

#include "agent/cli/commands.h"
#include "agent/cli/desired_args.h"
#include "diff/model/loader.h"
#include "diff/sops/decryptor.h"

namespace warren::cli {
namespace {

bool PlainKey(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  return true;
}

// YAML that reads back as the same JSON: block mappings and sequences, every string quoted.
void EmitYaml(const Json& v, int indent, std::string* out) {
  std::string pad(static_cast<size_t>(indent), ' ');
  auto scalar = [](const Json& x) { return x.dump(); };
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      *out += pad + (PlainKey(it.key()) ? it.key() : Json(it.key()).dump()) + ":";
      const Json& x = it.value();
      if ((x.is_object() || x.is_array()) && !x.empty()) {
        *out += "\n";
        EmitYaml(x, indent + 2, out);
      } else {
        *out += " " + scalar(x) + "\n";
      }
    }
    return;
  }
  for (const Json& x : v) {
    if ((x.is_object() || x.is_array()) && !x.empty()) {
      std::string nested;
      EmitYaml(x, indent + 2, &nested);
      *out += pad + "- " + nested.substr(static_cast<size_t>(indent) + 2);
    } else {
      *out += pad + "- " + scalar(x) + "\n";
    }
  }
}

}  // namespace

int RunDecrypt(const DecryptArgs& args, std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "warren decrypt: " << s.message() << "\n";
    return kExitError;
  };
  std::ifstream in(args.file, std::ios::binary);
  if (!in) return fail(Status::Io(args.file + ": cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  auto keys = LoadKeys(args.decryption, nullptr);
  if (!keys.ok()) return fail(keys.status());

  auto decoded = DecodeDocuments(text, args.file);
  if (!decoded.ok()) return fail(decoded.status());
  std::vector<Document> docs = std::move(decoded).value();
  bool sops = false;
  for (const Document& d : docs) sops = sops || HasSopsBlock(d.value);
  if (!sops) return fail(Status::Invalid(args.file + ": not encrypted with SOPS (no sops block)"));
  sops::SopsDecryptor decryptor({&keys.value(), false});
  Status opened = decryptor.DecryptFile(text, args.file, LooksLikeJson(args.file, text), &docs);
  if (!opened.ok()) return fail(opened);

  std::string rendered;
  size_t shown = 0;
  for (const Document& d : docs) {
    if (d.value.is_null()) continue;
    if (args.output == "json") {
      rendered += d.value.dump(2) + "\n";
    } else {
      if (shown > 0) rendered += "---\n";
      EmitYaml(d.value, 0, &rendered);
    }
    ++shown;
  }
  out << rendered;
  return kExitClean;
}

}  // namespace warren::cli
