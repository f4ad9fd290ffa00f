#include "agent/source/kustomize_builder.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "agent/util/subprocess.h"

namespace warren::source {
namespace fs = std::filesystem;
namespace {

// A temporary directory, removed with everything in it when this goes out of scope.
class TempDir {
 public:
  static Result<TempDir> Make() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string pattern = (base / "warren-kustomize-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return Status::Io("cannot make a temporary directory in " + base.string());
    return TempDir(fs::canonical(pattern, ec));
  }
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit TempDir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

Status WriteFile(const fs::path& file, const std::string& text) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::binary);
  out << text;
  out.close();
  if (!out) return Status::Io("cannot write " + file.string());
  return Status::Ok();
}

// Writes every file of `tree` below `root`, so kustomize can follow `../base` anywhere in it.
Status WriteOut(const FileTree& tree, const fs::path& root, uint64_t max_bytes) {
  WARREN_ASSIGN_OR_RETURN(auto files, tree.ListFiles("."));
  uint64_t total = 0;
  for (const std::string& file : files) {
    fs::path rel = fs::path(file).lexically_normal();
    if (rel.is_absolute() || rel.empty() || *rel.begin() == "..") continue;  // never outside root
    WARREN_ASSIGN_OR_RETURN(auto size, tree.Size(file));
    total += size;
    if (total > max_bytes)
      return Status::Limit("the tree is larger than " + std::to_string(max_bytes) +
                           " bytes; not written out for kustomize");
    WARREN_ASSIGN_OR_RETURN(auto text, tree.Read(file));
    WARREN_RETURN_IF_ERROR(WriteFile(root / rel, text));
  }
  return Status::Ok();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  constexpr size_t kMax = 4000;
  if (s.size() > kMax) s = s.substr(0, kMax) + " ...";
  return s;
}

}  // namespace

Result<std::vector<std::string>> KustomizeBuilder::Command() const {
  auto argv_for = [](const std::string& program) -> std::vector<std::string> {
    std::string base = fs::path(program).filename().string();
    if (base == "kubectl") return {program, "kustomize"};
    return {program, "build"};
  };
  if (!options_.command.empty()) {
    if (!ProgramExists(options_.command))
      return Status::NotFound("the kustomize command " + options_.command + " was not found");
    return argv_for(options_.command);
  }
  for (const char* program : {"kustomize", "kubectl"})
    if (ProgramExists(program)) return argv_for(program);
  return Status::NotFound("building a kustomization needs kustomize or kubectl on PATH; neither was found");
}

Result<KustomizeOutput> KustomizeBuilder::Build(const FileTree& tree, const std::string& dir) const {
  auto command = Command();
  if (!command.ok()) return command.status().WithContext(dir);
  WARREN_ASSIGN_OR_RETURN(auto temp, TempDir::Make());
  const fs::path& scratch = temp.path();

  std::error_code ec;
  fs::path root;  // where the tree's relative paths start
  if (std::string on_disk = tree.DiskDirectory(); !on_disk.empty()) {
    root = fs::canonical(on_disk, ec);
    if (ec) return Status::Io(on_disk + ": " + ec.message());
  } else {
    root = scratch / "tree";
    WARREN_RETURN_IF_ERROR(WriteOut(tree, root, options_.max_tree_bytes));
  }
  fs::path target = (root / dir).lexically_normal();
  fs::path wrapper = scratch / "build";
  // kustomize refuses absolute resource paths, so the wrapper names the target relatively.
  std::string resource = fs::weakly_canonical(target, ec).lexically_relative(wrapper).generic_string();
  WARREN_RETURN_IF_ERROR(WriteFile(wrapper / "kustomization.yaml",
                                   "resources:\n- \"" + resource + "\"\nbuildMetadata: [originAnnotations]\n"));

  std::vector<std::string> argv = command.value();
  std::string shown = argv[0] + " " + argv[1];
  argv.push_back(wrapper.string());
  SubprocessOptions run;
  run.timeout = options_.timeout;
  run.stop = options_.stop;
  auto result = RunSubprocess(argv, run);
  if (!result.ok()) return result.status().WithContext("build the kustomization in " + dir + " (" + shown + ")");
  if (result.value().exit_code != 0) {
    // kustomize names the files it read by their temporary paths; say them as the tree does.
    std::string err = Replace(Replace(result.value().err, root.string() + "/", ""), wrapper.string(), dir);
    return Status::Invalid("build the kustomization in " + dir + " (" + shown + "): exit " +
                           std::to_string(result.value().exit_code) + ": " + Trimmed(err));
  }
  KustomizeOutput out;
  out.yaml = std::move(result.value().out);
  out.origin_base = wrapper.string();
  out.tree_root = root.string();
  return out;
}

}  // namespace warren::source
