#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each from its regression inputs
# and seed corpora for WARREN_FUZZ_RUNS inputs (default 20000, about 20 s each on one core) with a
# fixed seed (WARREN_FUZZ_SEED, default 1), so a run is repeatable; WARREN_FUZZ_SECONDS (default
# 120) caps each. A crash, a sanitizer report or a failed property stops the run; the input is
# left in build-fuzz/findings/ to become a regression input (tests/fuzz/regressions/<target>/).
#
#   fuzz.sh [build|run]   # only build the fuzzers, or only run them; both when not said
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
runs=${WARREN_FUZZ_RUNS:-20000}
seed=${WARREN_FUZZ_SEED:-1}
seconds=${WARREN_FUZZ_SECONDS:-120}
if [ "$what" != run ]; then
  # -O1 (WARREN_FUZZ) with line tables: exact reports, and the build is the shortest that runs fast.
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DWARREN_FUZZ=ON -DWARREN_BUILD_TESTS=OFF > /dev/null
  cmake --build build-fuzz -j2 --target fuzzers
fi
[ "$what" = build ] && exit 0
mkdir -p build-fuzz/findings
while read -r name inputs; do
  corpus=$(mktemp -d)
  echo "fuzz: $name, $runs inputs from seed $seed"
  # -max_len: manifests are small; larger inputs only slow the search down.
  if ! build-fuzz/tests/fuzz/"${name}"_fuzzer -runs="$runs" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/findings/${name}-" "$corpus" $inputs > "build-fuzz/${name}.log" 2>&1; then
    tail -40 "build-fuzz/${name}.log"
    echo "fuzz: $name failed; the input is in build-fuzz/findings/"
    rm -rf "$corpus"
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "build-fuzz/${name}.log" | sed "s/^/fuzz: $name /"
  rm -rf "$corpus"
done < build-fuzz/tests/fuzz/targets.txt
