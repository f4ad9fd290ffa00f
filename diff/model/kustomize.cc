#include "diff/model/kustomize.h"

#include <filesystem>

namespace warren {

bool IsKustomizationFile(const std::string& file) {
  std::string base = file.substr(file.rfind('/') + 1);
  return base == "kustomization.yaml" || base == "kustomization.yml" || base == "Kustomization";
}

std::vector<std::string> KustomizationRoots(const std::vector<std::string>& files) {
  std::vector<std::string> roots;
  for (const std::string& f : files) {
    if (!IsKustomizationFile(f)) continue;
    size_t slash = f.rfind('/');
    std::string dir = slash == std::string::npos ? "." : f.substr(0, slash);
    bool inside = false;
    for (const std::string& r : roots)
      if (r == "." || dir == r || dir.rfind(r + "/", 0) == 0) inside = true;
    if (!inside) roots.push_back(dir);
  }
  return roots;
}

std::string OriginTreePath(const KustomizeOutput& output, const std::string& origin_path) {
  namespace fs = std::filesystem;
  fs::path p = fs::path(origin_path);
  if (!output.origin_base.empty() && p.is_relative()) p = fs::path(output.origin_base) / p;
  p = p.lexically_normal();
  if (output.tree_root.empty()) return p.generic_string();
  // Outside the tree's root (a base next to the working directory), the absolute path is clearer
  // than a climb of "../".
  fs::path relative = p.lexically_relative(output.tree_root);
  if (relative.empty() || *relative.begin() == "..") return p.generic_string();
  return relative.generic_string();
}

std::string OriginFile(const std::string& annotation) {
  // The annotation is a small YAML mapping; only two top-level keys matter here.
  for (const char* key : {"path: ", "configuredIn: "}) {
    size_t at = 0;
    std::string k = key;
    while ((at = annotation.find(k, at)) != std::string::npos) {
      if (at == 0 || annotation[at - 1] == '\n') {
        size_t end = annotation.find('\n', at);
        std::string v =
            annotation.substr(at + k.size(), end == std::string::npos ? std::string::npos : end - at - k.size());
        while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.pop_back();
        if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
          v = v.substr(1, v.size() - 2);
        return v;
      }
      at += k.size();
    }
  }
  return "";
}

}  // namespace warren
