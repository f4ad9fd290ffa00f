// The desired state from git, through libgit2: a bare clone kept in a cache directory and fetched
// incrementally, a ref (branch, tag or full commit id) resolved to a commit, its signature verified
// when asked, and its tree (or a sub-path of it) read as a FileTree straight from the object
// database: no working tree. A poll costs one round trip when nothing moved; a pinned commit that
// is already in the cache costs none.
//
// Transports: file://, http(s):// (user/password or token from a file, a custom CA bundle), ssh://
// (a private key and a known_hosts file that must list the server's key). Credentials are read
// from files only and never appear in messages.
#pragma once

#include <memory>
#include <string>

#include "agent/util/cancel.h"
#include "diff/model/file_tree.h"

namespace warren::git {

struct SourceOptions {
  std::string url;
  std::string ref = "main";  // branch, tag or 40-hex commit id
  std::string path;          // sub-path inside the repository ("" = its root)
  std::string cache_dir;     // "" = ~/.cache/warren/repos/<hash of url>
  std::string auth_file;     // https: "username:password", or a token alone
  std::string ssh_key;       // ssh: private key file
  std::string known_hosts;   // ssh: required
  std::string ca_file;       // https: CA bundle
  std::string allowed_signers;
  bool require_signed = false;
  int timeout_seconds = 60;  // a transfer that stalls longer is abandoned
  // Seen at every libgit2 callback (connection, credentials, host key, each transfer step):
  // a stopped fetch ends there with kCancelled.
  StopToken stop;
};

struct Checkout {
  std::string commit;              // full id
  std::string ref;                 // as asked
  bool fetched = false;            // false: the cache was current (one ls-remote, or none for a pinned commit)
  bool recloned = false;           // the cache was missing or corrupt
  std::string signed_by;           // "principal (SHA256:...)" when verified
  std::string root;                // the sub-path the manifests are read from ("." for the root)
  std::unique_ptr<FileTree> tree;  // the whole commit, paths as in the repository
};

Result<Checkout> SyncSource(const SourceOptions& options);

}  // namespace warren::git
