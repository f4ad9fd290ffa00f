// For a command that ends the process right after it: large trees (a 10,000-object live List,
// the manifests) are left for the kernel to take back with the process's pages, where freeing
// them node by node took a quarter of a large diff. Kept reachable (not a leak to LeakSanitizer)
// until exit; a long-running process never uses this.
#pragma once

#include <malloc.h>

#include <memory>
#include <utility>
#include <vector>

namespace warren::cli {

template <class T>
void KeepUntilExit(T&& value) {
  static auto* kept = new std::vector<std::shared_ptr<void>>();
  kept->push_back(std::make_shared<std::decay_t<T>>(std::forward<T>(value)));
}

// For the same commands: what is freed stays in the process for the next allocation instead of
// going back to the kernel. Buffers above 128 KiB (a List's text, the report's vectors, the
// readers' stacks) were each mapped fresh and unmapped when freed, and a fresh page costs more
// than what is written to it (on the 2-core VM measured, about 10 us a page: a sixth of a large
// diff's CPU). A large diff takes 8% less time with them kept; a long-running process never
// uses this (the agent hands freed pages back after each pass).
inline void KeepFreedMemory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: from the heap up to 32 MiB
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // and the heap's top kept
}

}  // namespace warren::cli
