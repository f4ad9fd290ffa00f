// Shared by the fuzz targets: the input as text, and a check that stops the fuzzer (and the
// regression replay) with a message when a property fails.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace warren::fuzz {

inline std::string Text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

#define WARREN_FUZZ_CHECK(cond, what)                                       \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "fuzz property failed: %s (%s)\n", what, #cond); \
      std::abort();                                                         \
    }                                                                       \
  } while (0)

}  // namespace warren::fuzz
