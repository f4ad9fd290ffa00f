#include "agent/git/git_source.h"

#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

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

// libgit2 objects owned: freed when the owner goes, whatever path a step leaves by.
template <typename T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  Owned() = default;
  explicit Owned(T* t) : p(t) {}
  Owned(Owned&& o) noexcept : p(std::exchange(o.p, nullptr)) {}
  Owned& operator=(Owned&& o) noexcept {
    std::swap(p, o.p);
    return *this;
  }
  ~Owned() {
    if (p) Free(p);
  }
};
using Repo = Owned<git_repository, git_repository_free>;

// What the libgit2 callbacks need; lives for one network operation.
struct Session {
  const SourceOptions* o;
  std::string user, password;
  int auth_attempts = 0;
  std::string host_error;  // why the host key or the TLS certificate was refused
  std::chrono::steady_clock::time_point deadline;
};

// Past the deadline, or stopped: libgit2 ends the operation when a callback answers non-zero.
bool GiveUp(const Session* s) { return std::chrono::steady_clock::now() > s->deadline || s->o->stop.stop_requested(); }

// The server's TLS certificate checked against this source's own CA bundle (libgit2's CA setting
// is process-wide, and each source may name another). Intermediates may be in the bundle too.
int CheckTlsCertificate(const git_cert_x509& cert, const char* host, Session* s) {
  const std::string& ca = s->o->ca_file;
  const auto* der = static_cast<const unsigned char*>(cert.data);
  Owned<X509, X509_free> leaf(d2i_X509(nullptr, &der, static_cast<long>(cert.len)));
  Owned<X509_STORE, X509_STORE_free> store(X509_STORE_new());
  Owned<X509_STORE_CTX, X509_STORE_CTX_free> ctx(X509_STORE_CTX_new());
  if (!leaf.p || !store.p || !ctx.p || X509_STORE_load_file(store.p, ca.c_str()) != 1) {
    s->host_error = "the TLS certificate cannot be checked against " + ca;
    return GIT_ECERTIFICATE;
  }
  X509_STORE_set_flags(store.p, X509_V_FLAG_PARTIAL_CHAIN);
  X509_STORE_CTX_init(ctx.p, store.p, leaf.p, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.p);
  std::string name = host ? host : "";
  if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1)
    X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (X509_verify_cert(ctx.p) == 1) return 0;
  s->host_error = "the TLS certificate of " + name + " is not trusted by " + ca + ": " +
                  X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.p));
  return GIT_ECERTIFICATE;
}

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

int CheckCertificate(git_cert* cert, int, const char* host, void* payload) {
  auto* s = static_cast<Session*>(payload);
  if (cert->cert_type == GIT_CERT_X509)  // TLS: the source's CA bundle, else libgit2's (the system's)
    return s->o->ca_file.empty() ? GIT_PASSTHROUGH
                                 : CheckTlsCertificate(*reinterpret_cast<git_cert_x509*>(cert), host, s);
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
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
  cb.certificate_check = CheckCertificate;
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
  GitTree(Repo repo, std::map<std::string, git_oid> files) : repo_(std::move(repo)), files_(std::move(files)) {}

  Result<std::vector<std::string>> ListFiles(const std::string& path) const override {
    std::vector<std::string> out;
    std::string prefix = path.empty() || path == "." ? "" : path + "/";
    for (const auto& [name, _] : files_)
      if (name == path || name.rfind(prefix, 0) == 0) out.push_back(name);
    if (out.empty()) return Status::NotFound(path + ": no such file or directory in the commit");
    return out;
  }
  Result<uint64_t> Size(const std::string& file) const override {
    WARREN_ASSIGN_OR_RETURN(auto blob, Blob(file));
    uint64_t n = static_cast<uint64_t>(git_blob_rawsize(blob));
    git_blob_free(blob);
    return n;
  }
  Result<std::string> Read(const std::string& file) const override {
    WARREN_ASSIGN_OR_RETURN(auto blob, Blob(file));
    std::string out(static_cast<const char*>(git_blob_rawcontent(blob)), static_cast<size_t>(git_blob_rawsize(blob)));
    git_blob_free(blob);
    return out;
  }

 private:
  Result<git_blob*> Blob(const std::string& file) const {
    auto it = files_.find(file);
    if (it == files_.end()) return Status::NotFound(file + ": no such file in the commit");
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo_.p, &it->second) != 0) return Status::Io(LastError("read " + file));
    return blob;
  }
  Repo repo_;
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

// One SyncSource call: the options, the libgit2 session, the cache and what is found on the way.
// Each step returns a Status; the repository is owned, so no path leaks it.
class Sync {
 public:
  explicit Sync(const SourceOptions& o)
      : o_(o),
        s_{&o, "", "", 0, "", std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds)},
        cache_(o.cache_dir.empty() ? DefaultCacheDir(o.url) : o.cache_dir) {
    out_.ref = o.ref;
  }

  Result<Checkout> Run() {
    WARREN_RETURN_IF_ERROR(CheckOptions());
    WARREN_RETURN_IF_ERROR(ReadAuth());
    WARREN_RETURN_IF_ERROR(Update());
    WARREN_RETURN_IF_ERROR(ResolveRef());
    WARREN_RETURN_IF_ERROR(VerifySignatures());
    WARREN_RETURN_IF_ERROR(ReadTree());
    return std::move(out_);
  }

 private:
  Status CheckOptions() const {
    if (o_.url.empty()) return Status::Invalid("the repository URL is empty");
    bool ssh = o_.url.rfind("ssh://", 0) == 0 ||
               (o_.url.find("://") == std::string::npos && o_.url.find('@') != std::string::npos);
    if (ssh && o_.known_hosts.empty())
      return Status::Invalid("an ssh:// repository needs a known_hosts file (the server's key is always checked)");
    if (ssh && o_.ssh_key.empty()) return Status::Invalid("an ssh:// repository needs an SSH private key");
    // Errors must not echo credentials: libgit2 messages name the URL, never the password, and
    // URLs with userinfo are refused.
    size_t scheme = o_.url.find("://");
    if (scheme != std::string::npos && o_.url.rfind("http", 0) == 0) {
      size_t at = o_.url.find('@'), slash = o_.url.find('/', scheme + 3);
      if (at != std::string::npos && at < slash)
        return Status::Invalid("the repository URL must not contain credentials; give them in an auth file");
    }
    return Status::Ok();
  }

  // "username:password", or a token alone.
  Status ReadAuth() {
    if (o_.auth_file.empty()) return Status::Ok();
    Status st;
    std::string text = ReadFile(o_.auth_file, &st);
    if (!st.ok()) return st;
    std::string line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    size_t colon = line.find(':');
    s_.user = colon == std::string::npos ? "x-access-token" : line.substr(0, colon);
    s_.password = colon == std::string::npos ? line : line.substr(colon + 1);
    return Status::Ok();
  }

  // Why a network operation failed: stopped, the host refused, the credentials refused, or `st`.
  Status Failed(Status st) const {
    if (o_.stop.stop_requested()) return Status::Cancelled("fetch " + o_.url + ": stopped");
    if (!s_.host_error.empty()) return Status(StatusCode::kForbidden, "fetch " + o_.url + ": " + s_.host_error);
    if (s_.auth_attempts > 1)
      return Status(StatusCode::kUnauthenticated, "fetch " + o_.url + ": the server refused the credentials");
    return st;
  }

  Status Clone() {
    repo_ = Repo();
    s_.auth_attempts = 0;
    std::error_code ec;
    fs::remove_all(cache_, ec);
    fs::create_directories(fs::path(cache_).parent_path(), ec);
    git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
    opts.bare = 1;
    opts.fetch_opts.callbacks = Callbacks(&s_);
    opts.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    if (git_clone(&repo_.p, o_.url.c_str(), cache_.c_str(), &opts) != 0)
      return Failed(Status::Unavailable(LastError("clone " + o_.url)));
    out_.fetched = out_.recloned = true;
    return Status::Ok();
  }

  // The cache made current: cloned when missing or unreadable, fetched when the ref moved. A
  // pinned commit that is already here needs no network.
  Status Update() {
    bool have_cache = fs::exists(fs::path(cache_) / "HEAD") || fs::exists(fs::path(cache_) / "objects");
    if (!have_cache || git_repository_open_bare(&repo_.p, cache_.c_str()) != 0) return Clone();
    if (IsCommitId(o_.ref)) {
      git_oid id;
      Owned<git_commit, git_commit_free> c;
      if (git_oid_fromstr(&id, o_.ref.c_str()) == 0 && git_commit_lookup(&c.p, repo_.p, &id) == 0) return Status::Ok();
    }
    // An in-memory remote for the URL, not the cache's configured "origin": libgit2 1.5's
    // git_remote_lookup leaks ~80 kB of regex match data on each call (its insteadOf matching of
    // config entries): 30 MB a day at the default 5-minute poll, an OOM kill within days.
    Owned<git_remote, git_remote_free> remote;
    git_remote_create_options ro = GIT_REMOTE_CREATE_OPTIONS_INIT;
    ro.repository = repo_.p;
    ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (git_remote_create_with_opts(&remote.p, o_.url.c_str(), &ro) != 0)
      return Status::Invalid(LastError("remote " + o_.url));
    WARREN_ASSIGN_OR_RETURN(auto moved, RefMoved(remote.p));
    if (!moved) return Status::Ok();
    s_.auth_attempts = 0;  // a new connection asks for credentials again: that is no refusal
    git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
    fo.callbacks = Callbacks(&s_);
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    const char* specs[] = {"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"};
    git_strarray refspecs = {const_cast<char**>(specs), 2};
    if (git_remote_fetch(remote.p, &refspecs, &fo, nullptr) == 0) {
      out_.fetched = true;
      return Status::Ok();
    }
    // A corrupt cache is rebuilt once; a network failure is reported.
    if (git_error_last() && git_error_last()->klass == GIT_ERROR_ODB) return Clone();
    return Failed(Status::Unavailable(LastError("fetch " + o_.url)));
  }

  // One round trip: does the remote's ref differ from the cached copy? A pinned commit not yet
  // here is always fetched; a name the remote does not have is NotFound.
  Result<bool> RefMoved(git_remote* remote) {
    git_remote_callbacks cb = Callbacks(&s_);
    if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, nullptr, nullptr) != 0)
      return Failed(Status::Unavailable(LastError("connect to " + o_.url)));
    const git_remote_head** heads = nullptr;
    size_t n = 0;
    if (git_remote_ls(&heads, &n, remote) != 0) {
      Status st = Failed(Status::Unavailable(LastError("list the refs of " + o_.url)));
      git_remote_disconnect(remote);
      return st;
    }
    bool known = IsCommitId(o_.ref), moved = IsCommitId(o_.ref);
    for (size_t i = 0; i < n && !moved; ++i) {
      std::string name = heads[i]->name;
      std::string local;
      if (name == "refs/heads/" + o_.ref)
        local = "refs/remotes/origin/" + o_.ref;
      else if (name == "refs/tags/" + o_.ref)
        local = "refs/tags/" + o_.ref;
      else if (name == o_.ref)
        local = name;
      else
        continue;
      known = true;
      git_oid have;
      moved = git_reference_name_to_id(&have, repo_.p, local.c_str()) != 0 || !git_oid_equal(&have, &heads[i]->oid);
    }
    git_remote_disconnect(remote);
    if (!known) return Status::NotFound("ref \"" + o_.ref + "\" does not exist in " + o_.url);
    return moved;
  }

  // The ref as a commit (and the annotated tag's signature, if it is one).
  Status ResolveRef() {
    if (IsCommitId(o_.ref)) {
      if (git_oid_fromstr(&commit_id_, o_.ref.c_str()) != 0) return Status::Invalid(LastError("commit id " + o_.ref));
    } else {
      git_oid target;
      bool found = false;
      for (const std::string& name : {"refs/remotes/origin/" + o_.ref, "refs/tags/" + o_.ref, o_.ref}) {
        if (git_reference_name_to_id(&target, repo_.p, name.c_str()) == 0) {
          found = true;
          is_tag_ = name.rfind("refs/tags/", 0) == 0;
          break;
        }
      }
      if (!found) return Status::NotFound("ref \"" + o_.ref + "\" does not exist in " + o_.url);
      commit_id_ = target;
      Owned<git_object, git_object_free> obj;
      if (is_tag_ && git_object_lookup(&obj.p, repo_.p, &target, GIT_OBJECT_ANY) == 0 &&
          git_object_type(obj.p) == GIT_OBJECT_TAG) {
        annotated_tag_ = true;
        // An annotated tag: its signature is appended to its raw content.
        Owned<git_odb, git_odb_free> odb;
        Owned<git_odb_object, git_odb_object_free> raw;
        if (git_repository_odb(&odb.p, repo_.p) != 0 || git_odb_read(&raw.p, odb.p, &target) != 0)
          return Status::Io(LastError("read tag " + o_.ref));
        std::string data(static_cast<const char*>(git_odb_object_data(raw.p)), git_odb_object_size(raw.p));
        size_t sig = data.find("-----BEGIN SSH SIGNATURE-----");
        if (sig == std::string::npos) sig = data.find("-----BEGIN PGP SIGNATURE-----");
        if (sig != std::string::npos) {
          tag_signature_ = data.substr(sig);
          tag_signed_data_ = data.substr(0, sig);
        }
        commit_id_ = *git_tag_target_id(reinterpret_cast<git_tag*>(obj.p));
      }
    }
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &commit_id_);
    out_.commit = hex;
    if (git_commit_lookup(&commit_.p, repo_.p, &commit_id_) != 0)
      return Status::NotFound("commit " + out_.commit + " is not in " + o_.url +
                              " (or not reachable from its branches and tags)");
    return Status::Ok();
  }

  // Nothing is read from a commit before its signature checks out.
  Status VerifySignatures() {
    if (!o_.require_signed && o_.allowed_signers.empty()) return Status::Ok();
    if (o_.allowed_signers.empty()) return Status::Invalid("requiring signed commits needs an allowed_signers file");
    Status st;
    std::string text = ReadFile(o_.allowed_signers, &st);
    if (!st.ok()) return st;
    WARREN_ASSIGN_OR_RETURN(auto signers, ParseAllowedSigners(text, o_.allowed_signers));
    Status verdict = VerifyCommit(signers);
    if (verdict.ok() && annotated_tag_ && !tag_signature_.empty()) {
      std::string tag_by;
      verdict = VerifyObject("tag " + o_.ref, tag_signature_, tag_signed_data_, signers, &tag_by);
    } else if (verdict.ok() && annotated_tag_ && o_.require_signed) {
      // A lightweight tag has nothing of its own to sign; an unsigned annotated tag is refused.
      verdict = Status(StatusCode::kForbidden, "tag " + o_.ref + " is not signed");
    }
    if (!verdict.ok() && o_.require_signed)
      return Status(verdict.code(), verdict.message() + " (signed commits required: nothing was read from it)");
    return Status::Ok();
  }
  Status VerifyCommit(const std::vector<AllowedSigner>& signers) {
    git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
    int rc = git_commit_extract_signature(&sig, &data, repo_.p, &commit_id_, nullptr);
    Status verdict;
    if (rc == GIT_ENOTFOUND) {
      verdict = Status(StatusCode::kForbidden, "commit " + out_.commit + " is not signed");
    } else if (rc != 0) {
      verdict = Status::Io(LastError("read the signature of commit " + out_.commit));
    } else {
      verdict = VerifyObject("commit " + out_.commit, std::string(sig.ptr, sig.size), std::string(data.ptr, data.size),
                             signers, &out_.signed_by);
    }
    git_buf_dispose(&sig);
    git_buf_dispose(&data);
    return verdict;
  }

  // The whole tree (a kustomization under the sub-path may name `../base`); the sub-path must
  // be a directory of it.
  Status ReadTree() {
    Owned<git_tree, git_tree_free> tree;
    if (git_commit_tree(&tree.p, commit_.p) != 0)
      return Status::Io(LastError("read the tree of commit " + out_.commit));
    std::string root = o_.path;
    while (!root.empty() && root.back() == '/') root.pop_back();
    if (!root.empty() && root != ".") {
      Owned<git_tree_entry, git_tree_entry_free> entry;
      if (git_tree_entry_bypath(&entry.p, tree.p, root.c_str()) != 0 || git_tree_entry_type(entry.p) != GIT_OBJECT_TREE)
        return Status::NotFound("path \"" + root + "\" is not a directory in commit " + out_.commit);
    }
    std::map<std::string, git_oid> files;
    if (git_tree_walk(tree.p, GIT_TREEWALK_PRE, CollectBlob, &files) != 0)
      return Status::Io(LastError("read the files of commit " + out_.commit));
    out_.root = root.empty() ? "." : root;
    out_.tree = std::make_unique<GitTree>(std::move(repo_), std::move(files));
    return Status::Ok();
  }

  const SourceOptions& o_;
  Session s_;
  std::string cache_;
  Repo repo_;
  Checkout out_;
  git_oid commit_id_{};
  Owned<git_commit, git_commit_free> commit_;
  bool is_tag_ = false, annotated_tag_ = false;
  std::string tag_signature_, tag_signed_data_;
};

}  // namespace

Result<Checkout> SyncSource(const SourceOptions& o) {
  InitOnce();
  return Sync(o).Run();
}

}  // namespace warren::git
