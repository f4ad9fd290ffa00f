// For a command that ends the process right after it: large trees (a 10,000-object live List,
// the manifests) are left for the kernel to take back with the process's pages, where freeing
// them node by node took a quarter of a large diff. Kept reachable (not a leak to LeakSanitizer)
// until exit; a long-running process never uses this.
#pragma once

#include <memory>
#include <utility>
#include <vector>

namespace warren::cli {

template <class T>
void KeepUntilExit(T&& value) {
  static auto* kept = new std::vector<std::shared_ptr<void>>();
  kept->push_back(std::make_shared<std::decay_t<T>>(std::forward<T>(value)));
}

}  // namespace warren::cli
