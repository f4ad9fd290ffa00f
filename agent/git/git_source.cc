#include "agent/git/git_source.h"

#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "agent/git/ssh_signature.h"
#include "diff/model/base64.h"

namespace warren::git {
namespace {

namespace fs = std::filesystem;

void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string LastError(const std::string& what) {
  const git_error* e = git_error_last();
  return what + ": " + (e && e->message ? e->message : "unknown libgit2 error");
}

std::string ReadFile(const std::string& path, Status* status) {
  std::ifstream in(path);
  if (!in) {
    *status = Status::Io("cannot read " + path);
    return "";
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  ~Owned() {
    if (p) Free(p);
  }
};

// What the libgit2 callbacks need; lives for one network operation.
struct Session {
  const SourceOptions* o;
  std::string user, password;
  int auth_attempts = 0;
  std::string host_error;  // why the host key was refused
  std::chrono::steady_clock::time_point deadline;
};

// Past the deadline, or stopped: libgit2 ends the operation when a callback answers non-zero.
bool GiveUp(const Session* s) { return std::chrono::steady_clock::now() > s->deadline || s->o->stop.stop_requested(); }


// "host" for port 22, "[host]:port" otherwise: how known_hosts names a server.
std::string KnownHostsName(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  rest = rest.substr(rest.find('@') == std::string::npos || rest.find('@') > rest.find('/') ? 0 : rest.find('@') + 1);
  std::string hostport = rest.substr(0, rest.find('/'));
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos || colon + 1 == hostport.size() || hostport.substr(colon + 1) == "22")
    return hostport.substr(0, colon);
  return "[" + hostport.substr(0, colon) + "]:" + hostport.substr(colon + 1);
}

bool HostMatches(const std::string& pattern, const std::string& host) {
  if (pattern.rfind("|1|", 0) == 0) {  // hashed: |1|base64(salt)|base64(HMAC-SHA1(salt, host))
    size_t bar = pattern.find('|', 3);
    auto salt = Base64Decode(pattern.substr(3, bar - 3));
    auto hash = Base64Decode(pattern.substr(bar + 1));
    if (!salt || !hash) return false;
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()), reinterpret_cast<const unsigned char*>(host.data()),
         host.size(), out, &n);
    return std::string(reinterpret_cast<char*>(out), n) == *hash;
  }
  std::stringstream in(pattern);
  for (std::string p; std::getline(in, p, ',');)
    if (p == host) return true;
  return false;
}

int CheckHostKey(git_cert* cert, int, const char* host, void* payload) {
  auto* s = static_cast<Session*>(payload);
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;  // TLS: libgit2's own check
  auto* key = reinterpret_cast<git_cert_hostkey*>(cert);
  if (!(key->type & GIT_CERT_SSH_RAW)) {
    s->host_error = "the SSH server did not show its raw host key";
    return GIT_ECERTIFICATE;
  }
  std::string raw(key->hostkey, key->hostkey_len);
  std::string name = KnownHostsName(s->o->url);
  Status st;
  std::string text = ReadFile(s->o->known_hosts, &st);
  if (!st.ok()) {
    s->host_error = st.message();
    return GIT_ECERTIFICATE;
  }
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::stringstream fields(line);
    std::string hosts, type, b64;
    fields >> hosts;
    if (hosts.empty() || hosts[0] == '#' || hosts[0] == '@') continue;  // markers are not honoured
    fields >> type >> b64;
    if (!HostMatches(hosts, name)) continue;
    auto blob = Base64Decode(b64);
    if (blob && *blob == raw) return 0;
  }
  s->host_error = "the SSH host key of " + name + " (" + (host ? host : "") + ") is not in " + s->o->known_hosts;
  return GIT_ECERTIFICATE;
}

int Credentials(git_credential** out, const char*, const char* username_from_url, unsigned int allowed, void* payload) {
  auto* s = static_cast<Session*>(payload);
  if (GiveUp(s)) return GIT_EUSER;
  if (++s->auth_attempts > 1) return GIT_EAUTH;  // refused once: do not loop
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !s->o->ssh_key.empty()) {
    std::string pub = s->o->ssh_key + ".pub";
    return git_credential_ssh_key_new(out, username_from_url ? username_from_url : "git",
                                      fs::exists(pub) ? pub.c_str() : nullptr, s->o->ssh_key.c_str(), nullptr);
  }
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !s->user.empty())
    return git_credential_userpass_plaintext_new(out, s->user.c_str(), s->password.c_str());
  return GIT_PASSTHROUGH;
}

int Progress(const git_indexer_progress*, void* payload) { return GiveUp(static_cast<Session*>(payload)) ? -1 : 0; }

int SidebandProgress(const char*, int, void* payload) { return GiveUp(static_cast<Session*>(payload)) ? -1 : 0; }

git_remote_callbacks Callbacks(Session* s) {
  git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
  cb.credentials = Credentials;
  cb.certificate_check = CheckHostKey;
  cb.transfer_progress = Progress;
  cb.sideband_progress = SidebandProgress;
  cb.payload = s;
  return cb;
}

bool IsCommitId(const std::string& ref) {
  return ref.size() == 40 && ref.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string DefaultCacheDir(const std::string& url) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(url.data(), url.size(), d, &n, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned i = 0; i < 8; ++i) {
    hex += "0123456789abcdef"[d[i] >> 4];
    hex += "0123456789abcdef"[d[i] & 15];
  }
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string base = xdg && *xdg ? xdg : std::string(home ? home : "/tmp") + "/.cache";
  return base + "/warren/repos/" + hex;
}

// A FileTree over one tree of a commit, paths as in the repository.
class GitTree : public FileTree {
 public:
  GitTree(git_repository* repo, std::map<std::string, git_oid> files) : repo_(repo), files_(std::move(files)) {}
  ~GitTree() override { git_repository_free(repo_); }

  Result<std::vector<std::string>> ListFiles(const std::string& path) const override {
    std::vector<std::string> out;
    std::string prefix = path.empty() || path == "." ? "" : path + "/";
    for (const auto& [name, _] : files_)
      if (name == path || name.rfind(prefix, 0) == 0) out.push_back(name);
    if (out.empty()) return Status::NotFound(path + ": no such file or directory in the commit");
    return out;
  }
  Result<uint64_t> Size(const std::string& file) const override {
    auto blob = Blob(file);
    if (!blob.ok()) return blob.status();
    uint64_t n = static_cast<uint64_t>(git_blob_rawsize(blob.value()));
    git_blob_free(blob.value());
    return n;
  }
  Result<std::string> Read(const std::string& file) const override {
    auto blob = Blob(file);
    if (!blob.ok()) return blob.status();
    std::string out(static_cast<const char*>(git_blob_rawcontent(blob.value())), static_cast<size_t>(git_blob_rawsize(blob.value())));
    git_blob_free(blob.value());
    return out;
  }

 private:
  Result<git_blob*> Blob(const std::string& file) const {
    auto it = files_.find(file);
    if (it == files_.end()) return Status::NotFound(file + ": no such file in the commit");
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo_, &it->second) != 0) return Status::Io(LastError("read " + file));
    return blob;
  }
  git_repository* repo_;
  std::map<std::string, git_oid> files_;
};

// git_tree_walk's callback: records each blob by its path in the commit.
int CollectBlob(const char* dir, const git_tree_entry* entry, void* payload) {
  auto* files = static_cast<std::map<std::string, git_oid>*>(payload);
  if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB)
    (*files)[std::string(dir) + git_tree_entry_name(entry)] = *git_tree_entry_id(entry);
  return 0;
}

Status VerifyObject(const std::string& what, const std::string& signature, const std::string& signed_data,
                    const std::vector<AllowedSigner>& signers, std::string* signed_by) {
  auto v = VerifySshSignature(signature, signed_data, signers);
  if (!v.ok()) return Status(v.status().code(), what + ": " + v.status().message());
  *signed_by = v.value().principal + " (" + v.value().fingerprint + ")";
  return Status::Ok();
}

}  // namespace

Result<Checkout> SyncSource(const SourceOptions& o) {
  InitOnce();
  if (o.url.empty()) return Status::Invalid("the repository URL is empty");
  bool ssh = o.url.rfind("ssh://", 0) == 0 || (o.url.find("://") == std::string::npos && o.url.find('@') != std::string::npos);
  if (ssh && o.known_hosts.empty()) return Status::Invalid("an ssh:// repository needs a known_hosts file (the server's key is always checked)");
  if (ssh && o.ssh_key.empty()) return Status::Invalid("an ssh:// repository needs an SSH private key");
  if (!o.ca_file.empty() && git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, o.ca_file.c_str(), nullptr) != 0)
    return Status::Io(LastError("use CA file " + o.ca_file));

  Session s{&o, "", "", 0, "", std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds)};
  if (!o.auth_file.empty()) {
    Status st;
    std::string text = ReadFile(o.auth_file, &st);
    if (!st.ok()) return st;
    std::string line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      s.user = "x-access-token";
      s.password = line;
    } else {
      s.user = line.substr(0, colon);
      s.password = line.substr(colon + 1);
    }
  }
  // Errors must not echo credentials: libgit2 messages name the URL, never the password, and
  // URLs with userinfo are refused.
  size_t scheme = o.url.find("://");
  if (scheme != std::string::npos && o.url.rfind("http", 0) == 0) {
    size_t at = o.url.find('@'), slash = o.url.find('/', scheme + 3);
    if (at != std::string::npos && at < slash) return Status::Invalid("the repository URL must not contain credentials; give them in an auth file");
  }

  std::string cache = o.cache_dir.empty() ? DefaultCacheDir(o.url) : o.cache_dir;
  Checkout out;
  out.ref = o.ref;
  git_repository* repo = nullptr;
  auto fail = [&](const Status& st) -> Status {
    if (o.stop.stop_requested()) return Status::Cancelled("fetch " + o.url + ": stopped");
    if (!s.host_error.empty()) return Status(StatusCode::kForbidden, "fetch " + o.url + ": " + s.host_error);
    if (s.auth_attempts > 1) return Status(StatusCode::kUnauthenticated, "fetch " + o.url + ": the server refused the credentials");
    return st;
  };
  auto clone = [&]() -> Status {
    s.auth_attempts = 0;
    std::error_code ec;
    fs::remove_all(cache, ec);
    fs::create_directories(fs::path(cache).parent_path(), ec);
    git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
    opts.bare = 1;
    opts.fetch_opts.callbacks = Callbacks(&s);
    opts.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    if (git_clone(&repo, o.url.c_str(), cache.c_str(), &opts) != 0) return fail(Status::Unavailable(LastError("clone " + o.url)));
    out.fetched = out.recloned = true;
    return Status::Ok();
  };

  bool have_cache = fs::exists(fs::path(cache) / "HEAD") || fs::exists(fs::path(cache) / "objects");
  if (!have_cache || git_repository_open_bare(&repo, cache.c_str()) != 0) {
    WARREN_RETURN_IF_ERROR(clone());
  } else if (!(IsCommitId(o.ref) && [&] {  // a pinned commit already here needs no network
                 git_oid id;
                 git_commit* c = nullptr;
                 bool here = git_oid_fromstr(&id, o.ref.c_str()) == 0 && git_commit_lookup(&c, repo, &id) == 0;
                 git_commit_free(c);
                 return here;
               }())) {
    Owned<git_remote, git_remote_free> remote;
    if (git_remote_lookup(&remote.p, repo, "origin") != 0) {
      git_repository_free(repo);
      repo = nullptr;
      WARREN_RETURN_IF_ERROR(clone());
    } else {
      // One round trip: what does the remote say the ref is now?
      git_remote_callbacks cb = Callbacks(&s);
      if (git_remote_connect(remote.p, GIT_DIRECTION_FETCH, &cb, nullptr, nullptr) != 0) {
        Status st = fail(Status::Unavailable(LastError("connect to " + o.url)));
        git_repository_free(repo);
        return st;
      }
      const git_remote_head** heads = nullptr;
      size_t n = 0;
      git_remote_ls(&heads, &n, remote.p);
      // The remote ref the asked name is (a branch, a tag, or a full ref name), and whether its
      // cached copy differs. A pinned commit not yet here is always fetched.
      bool known = IsCommitId(o.ref), moved = IsCommitId(o.ref);
      for (size_t i = 0; i < n && !moved; ++i) {
        std::string name = heads[i]->name;
        std::string local;
        if (name == "refs/heads/" + o.ref) local = "refs/remotes/origin/" + o.ref;
        else if (name == "refs/tags/" + o.ref) local = "refs/tags/" + o.ref;
        else if (name == o.ref) local = name;
        else continue;
        known = true;
        git_oid have;
        moved = git_reference_name_to_id(&have, repo, local.c_str()) != 0 || !git_oid_equal(&have, &heads[i]->oid);
      }
      git_remote_disconnect(remote.p);
      if (!known) {
        git_repository_free(repo);
        return Status::NotFound("ref \"" + o.ref + "\" does not exist in " + o.url);
      }
      if (moved) {
        s.auth_attempts = 0;  // a new connection asks for credentials again: that is no refusal
        git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
        fo.callbacks = Callbacks(&s);
        fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
        const char* specs[] = {"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"};
        git_strarray refspecs = {const_cast<char**>(specs), 2};
        if (git_remote_fetch(remote.p, &refspecs, &fo, nullptr) != 0) {
          Status st = fail(Status::Unavailable(LastError("fetch " + o.url)));
          // A corrupt cache is rebuilt once; a network failure is reported.
          if (git_error_last() && git_error_last()->klass == GIT_ERROR_ODB) {
            git_repository_free(repo);
            repo = nullptr;
            WARREN_RETURN_IF_ERROR(clone());
          } else {
            git_repository_free(repo);
            return st;
          }
        } else {
          out.fetched = true;
        }
      }
    }
  }

  // Resolve the ref to a commit (and the annotated tag, if it is one).
  git_oid commit_id;
  std::string tag_signature, tag_signed_data;
  bool is_tag = false;
  if (IsCommitId(o.ref)) {
    git_oid_fromstr(&commit_id, o.ref.c_str());
  } else {
    git_oid target;
    bool found = false;
    for (const std::string& name : {"refs/remotes/origin/" + o.ref, "refs/tags/" + o.ref, o.ref}) {
      if (git_reference_name_to_id(&target, repo, name.c_str()) == 0) {
        found = true;
        is_tag = name.rfind("refs/tags/", 0) == 0;
        break;
      }
    }
    if (!found) {
      git_repository_free(repo);
      return Status::NotFound("ref \"" + o.ref + "\" does not exist in " + o.url);
    }
    commit_id = target;
    Owned<git_object, git_object_free> obj;
    if (is_tag && git_object_lookup(&obj.p, repo, &target, GIT_OBJECT_ANY) == 0 && git_object_type(obj.p) == GIT_OBJECT_TAG) {
      // An annotated tag: its signature is appended to its raw content.
      Owned<git_odb, git_odb_free> odb;
      Owned<git_odb_object, git_odb_object_free> raw;
      if (git_repository_odb(&odb.p, repo) == 0 && git_odb_read(&raw.p, odb.p, &target) == 0) {
        std::string data(static_cast<const char*>(git_odb_object_data(raw.p)), git_odb_object_size(raw.p));
        size_t sig = data.find("-----BEGIN SSH SIGNATURE-----");
        if (sig == std::string::npos) sig = data.find("-----BEGIN PGP SIGNATURE-----");
        if (sig != std::string::npos) {
          tag_signature = data.substr(sig);
          tag_signed_data = data.substr(0, sig);
        }
      }
      git_tag* tag = reinterpret_cast<git_tag*>(obj.p);
      commit_id = *git_tag_target_id(tag);
    }
  }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &commit_id);
  out.commit = hex;
  Owned<git_commit, git_commit_free> commit;
  if (git_commit_lookup(&commit.p, repo, &commit_id) != 0) {
    git_repository_free(repo);
    return Status::NotFound("commit " + out.commit + " is not in " + o.url + " (or not reachable from its branches and tags)");
  }

  // Nothing is read from a commit before its signature checks out.
  if (o.require_signed || !o.allowed_signers.empty()) {
    if (o.allowed_signers.empty()) {
      git_repository_free(repo);
      return Status::Invalid("requiring signed commits needs an allowed_signers file");
    }
    Status st;
    std::string text = ReadFile(o.allowed_signers, &st);
    auto signers = st.ok() ? ParseAllowedSigners(text, o.allowed_signers) : Result<std::vector<AllowedSigner>>(st);
    if (!signers.ok()) {
      git_repository_free(repo);
      return signers.status();
    }
    git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
    int rc = git_commit_extract_signature(&sig, &data, repo, &commit_id, nullptr);
    Status verdict;
    if (rc == GIT_ENOTFOUND) {
      verdict = Status(StatusCode::kForbidden, "commit " + out.commit + " is not signed");
    } else if (rc != 0) {
      verdict = Status::Io(LastError("read the signature of commit " + out.commit));
    } else {
      verdict = VerifyObject("commit " + out.commit, std::string(sig.ptr, sig.size), std::string(data.ptr, data.size),
                             signers.value(), &out.signed_by);
    }
    git_buf_dispose(&sig);
    git_buf_dispose(&data);
    if (verdict.ok() && is_tag && !tag_signature.empty()) {
      std::string tag_by;
      verdict = VerifyObject("tag " + o.ref, tag_signature, tag_signed_data, signers.value(), &tag_by);
    } else if (verdict.ok() && is_tag && tag_signature.empty() && o.require_signed) {
      // A lightweight tag has nothing of its own to sign; an unsigned annotated tag is refused.
      Owned<git_object, git_object_free> obj;
      git_oid t;
      if (git_reference_name_to_id(&t, repo, ("refs/tags/" + o.ref).c_str()) == 0 &&
          git_object_lookup(&obj.p, repo, &t, GIT_OBJECT_ANY) == 0 && git_object_type(obj.p) == GIT_OBJECT_TAG)
        verdict = Status(StatusCode::kForbidden, "tag " + o.ref + " is not signed");
    }
    if (!verdict.ok() && o.require_signed) {
      git_repository_free(repo);
      return Status(verdict.code(), verdict.message() + " (signed commits required: nothing was read from it)");
    }
  }

  // The whole tree (a kustomization under the sub-path may name `../base`); the sub-path must
  // be a directory of it.
  Owned<git_tree, git_tree_free> tree;
  git_commit_tree(&tree.p, commit.p);
  std::string root = o.path;
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (!root.empty() && root != ".") {
    Owned<git_tree_entry, git_tree_entry_free> entry;
    if (git_tree_entry_bypath(&entry.p, tree.p, root.c_str()) != 0 || git_tree_entry_type(entry.p) != GIT_OBJECT_TREE) {
      git_repository_free(repo);
      return Status::NotFound("path \"" + root + "\" is not a directory in commit " + out.commit);
    }
  }
  std::map<std::string, git_oid> files;
  git_tree_walk(tree.p, GIT_TREEWALK_PRE, CollectBlob, &files);
  out.root = root.empty() ? "." : root;
  out.tree = std::make_unique<GitTree>(repo, std::move(files));
  return out;
}

}  // namespace warren::git
