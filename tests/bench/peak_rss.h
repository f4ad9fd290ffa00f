// Peak resident memory for benchmarks: ResetPeak() starts a new peak at the current size (after
// handing freed memory back), so a measurement covers the work with its inputs held, not the
// generation of those inputs. Linux: VmHWM and /proc/self/clear_refs.
#pragma once

#include <malloc.h>

#include <fstream>
#include <string>

namespace warren::bench {

inline double PeakRssMB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

inline void ResetPeakRss() {
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

}  // namespace warren::bench
