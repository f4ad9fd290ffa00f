// Runs a fuzz target over files instead of under libFuzzer: every file below each directory
// given (the regression inputs and the seed corpora), so ctest keeps every finding fixed in the
// ordinary and the sanitized builds.
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
std::string current;  // the input being run, named when a property aborts
void NameInput(int) {
  std::fprintf(stderr, "input: %s\n", current.c_str());
  std::_Exit(1);
}
}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  size_t runs = 0;
  std::signal(SIGABRT, NameInput);
  for (int i = 1; i < argc; ++i) {
    if (!fs::exists(argv[i])) {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
    auto run = [&](const fs::path& file) {
      current = file.string();
      std::ifstream in(file, std::ios::binary);
      std::stringstream s;
      s << in.rdbuf();
      std::string data = s.str();
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
      ++runs;
    };
    if (fs::is_regular_file(argv[i]))
      run(argv[i]);
    else
      for (const auto& e : fs::recursive_directory_iterator(argv[i]))
        if (e.is_regular_file()) run(e.path());
  }
  std::printf("%zu inputs, no property failed\n", runs);
  return runs > 0 ? 0 : 2;
}
