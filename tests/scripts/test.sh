#!/usr/bin/env bash
# Every test: installs what is missing, builds warren (optimised, Release, then with AddressSanitizer
# and UndefinedBehaviorSanitizer) and runs the whole ctest suite in the optimised and the sanitized
# build, then runs each fuzz target (clang, libFuzzer) for a bounded number of inputs.
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/scripts/install-deps.sh

# One RabbitMQ cluster for both test runs (the ctest fixture reuses it), stopped however we exit.
tests/scripts/rabbitmq-cluster.sh start
trap 'tests/scripts/rabbitmq-cluster.sh stop' EXIT

tests/scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARREN_WERROR=ON
ctest --test-dir build --output-on-failure -j2

# As users build it (-O3): warren itself, warnings as errors, so a Release-only warning is caught.
tests/scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DWARREN_WERROR=ON -DWARREN_BUILD_TESTS=OFF

tests/scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DWARREN_SANITIZE=ON -DWARREN_WERROR=ON
# Full stack unwinding on malloc, so that the few third-party leaks in tests/lsan.supp are
# suppressed by function name (libgit2's own frames have no frame pointers).
ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 UBSAN_OPTIONS=print_stacktrace=1 \
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
  ctest --test-dir build-asan --output-on-failure -j2

# libFuzzer with ASan/UBSan, 20000 inputs per target from a fixed seed (tests/fuzz/README.md).
tests/scripts/fuzz.sh
