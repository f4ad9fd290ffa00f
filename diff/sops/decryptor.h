// The loader's Decryptor over SOPS and age: what `warren diff`, `sync`, `lint`, `decrypt` and the
// agent hand to the manifest loader. One instance serves one load: the files a kustomize build
// came from are opened once each and remembered for the objects built from them.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "diff/model/loader.h"
#include "diff/sops/sops.h"

namespace warren::sops {

struct DecryptorOptions {
  const Keyring* keys = nullptr;  // borrowed; outlives the decryptor
  // Check each SOPS file's structure and leave its values encrypted (lint without a key).
  bool structure_only = false;
};

class SopsDecryptor : public Decryptor {
 public:
  explicit SopsDecryptor(DecryptorOptions options) : options_(options) {}

  Status DecryptFile(std::string_view text, const std::string& file, bool json,
                     std::vector<Document>* docs) const override;
  Status DecryptBuilt(Json* doc, const std::string& what, const FileTree& tree,
                      const std::string& origin) const override;
  bool LeavesCiphertext() const override { return options_.structure_only; }

 private:
  Result<Opened> OpenText(std::string_view text, bool json) const;

  DecryptorOptions options_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Opened> origins_;  // kustomize inputs opened so far
};

}  // namespace warren::sops
