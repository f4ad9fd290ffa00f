#!/usr/bin/env bash
# Every test: installs what is missing, builds warren as users build it (Release) with the tests and
# warnings as errors, runs the whole ctest suite, builds again with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs the suite there, then runs each fuzz target (clang,
# libFuzzer) for a bounded number of inputs. Ends with the seconds each stage took.
#
# WARREN_TEST_LABELS (a ctest -L regular expression, e.g. "unit|local") runs only those labels.
set -uo pipefail
cd "$(dirname "$0")/../.."

stages=()
report() {
  echo
  echo "seconds per stage:"
  local total=0
  for s in "${stages[@]}"; do
    printf '  %-28s %6s\n' "${s% *}" "${s##* }"
    total=$((total + ${s##* }))
  done
  printf '  %-28s %6s\n' "total" "$total"
  if command -v ccache > /dev/null; then ccache --show-stats 2>/dev/null | grep -E "Hits:|Misses:" | head -2 | sed 's/^/  ccache /'; fi
}
# stage NAME COMMAND...: runs it, records its seconds; a failure prints the table and stops.
stage() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  local rc=$?
  stages+=("$name $((SECONDS - start))")
  if [ $rc -ne 0 ]; then
    echo "FAILED: $name (exit $rc)"
    report
    exit $rc
  fi
}

# ccache hits across checkouts in other folders (CI clones anew each run): paths below the
# checkout are hashed relative to it, and the working directory is left out of the hash (the
# debug line tables of a cached object may then name another checkout's path).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1

labels=()
[ -n "${WARREN_TEST_LABELS:-}" ] && labels=(-L "$WARREN_TEST_LABELS")

stage "install dependencies" tests/scripts/install-deps.sh

# The tree is formatted as .clang-format says (clang-format 14, Debian 12's): `clang-format -i` fixes it.
check_format() {
  local files
  if git rev-parse --git-dir > /dev/null 2>&1; then files=$(git ls-files '*.cc' '*.h'); else files=$(find agent diff tests -name '*.cc' -o -name '*.h'); fi
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files
}
stage "check formatting" check_format

# One RabbitMQ cluster for both test runs (the ctest fixture reuses it), stopped however we exit.
stage "start RabbitMQ cluster" tests/scripts/rabbitmq-cluster.sh start
trap 'tests/scripts/rabbitmq-cluster.sh stop' EXIT

# As users build it (-O3), with the tests: a Release-only warning fails the build.
stage "build Release" tests/scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DWARREN_WERROR=ON
stage "ctest Release" ctest --test-dir build --output-on-failure -j2 "${labels[@]}"

# ASan and UBSan at -O1 with line tables (-g1): exact reports, tests several times faster than -O0.
stage "build ASan/UBSan" tests/scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DWARREN_SANITIZE=ON -DWARREN_WERROR=ON
# Full stack unwinding on malloc, so that the few third-party leaks in tests/lsan.supp are
# suppressed by function name (libgit2's own frames have no frame pointers).
asan_ctest() {
  ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
    ctest --test-dir build-asan --output-on-failure -j2 "${labels[@]}"
}
stage "ctest ASan/UBSan" asan_ctest

# libFuzzer with ASan/UBSan, a fixed number of inputs per target from a fixed seed (tests/fuzz/README.md).
stage "build fuzzers (clang)" tests/scripts/fuzz.sh build
stage "fuzz" tests/scripts/fuzz.sh run

report
