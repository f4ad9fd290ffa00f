#include "diff/sops/decryptor.h"

namespace warren::sops {
namespace {

// `what`: the file, or the object of a build.
Status FileError(const std::string& what, const Status& s) {
  return Status(s.code(), what + ": cannot decrypt (SOPS): " + s.message());
}

}  // namespace

Result<Opened> SopsDecryptor::OpenText(std::string_view text, bool json) const {
  Format format = json ? Format::kJson : Format::kYaml;
  if (options_.structure_only) return Inspect(text, format);
  static const Keyring kNone;
  return Open(text, format, options_.keys ? *options_.keys : kNone);
}

Status SopsDecryptor::DecryptFile(std::string_view text, const std::string& file, bool json,
                                  std::vector<Document>* docs) const {
  auto opened = OpenText(text, json);
  if (!opened.ok()) return FileError(file, opened.status());
  if (opened.value().documents != docs->size())
    return FileError(file,
                     Status::Invalid("its documents cannot be matched up (" + std::to_string(opened.value().documents) +
                                     " here, " + std::to_string(docs->size()) + " for the manifest reader)"));
  std::vector<std::vector<std::string>> encrypted(docs->size());
  for (SealedValue& v : opened.value().values) {
    Json& doc = (*docs)[v.doc].value;
    Json::json_pointer pointer(v.pointer);
    if (!doc.contains(pointer))
      return FileError(file, Status::Invalid("the SOPS reader and the manifest reader disagree on the value at " +
                                             v.pointer + " (a merge key or an alias?)"));
    if (!options_.structure_only) doc[pointer] = std::move(v.value);
    encrypted[v.doc].push_back(v.pointer);
  }
  for (size_t i = 0; i < docs->size(); ++i) {
    Document& d = (*docs)[i];
    if (d.value.is_object()) d.value.erase("sops");
    if (!encrypted[i].empty()) d.encrypted = std::make_shared<const std::vector<std::string>>(std::move(encrypted[i]));
  }
  return Status::Ok();
}

Status SopsDecryptor::DecryptBuilt(Json* doc, const std::string& what, const FileTree& tree,
                                   const std::string& origin) const {
  if (options_.structure_only) {
    doc->erase("sops");
    return Status::Ok();
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = origins_.find(origin);
  if (it == origins_.end()) {
    auto text = origin.empty() ? Result<std::string>(Status::NotFound("no origin")) : tree.Read(origin);
    if (!text.ok())
      return FileError(what, Status::Invalid("the file it was built from is unknown, so its MAC cannot be verified"));
    auto opened = OpenText(text.value(), LooksLikeJson(origin, text.value()));
    if (!opened.ok()) return FileError(origin, opened.status());
    it = origins_.emplace(origin, std::move(opened).value()).first;
  }
  Status s = sops::DecryptBuilt(doc, it->second);
  return s.ok() ? s : FileError(what, s);
}

}  // namespace warren::sops
