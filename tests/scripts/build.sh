#!/usr/bin/env bash
# Configures and builds one build tree: build.sh DIR [cmake options...] [--target NAME...].
# Two cores: -j2.
set -euo pipefail
dir=$1; shift
options=() targets=()
while [ $# -gt 0 ]; do
  if [ "$1" = --target ]; then targets+=("$2"); shift 2; else options+=("$1"); shift; fi
done
cmake -S . -B "$dir" -G Ninja "${options[@]}" > /dev/null
if [ ${#targets[@]} -gt 0 ]; then cmake --build "$dir" -j2 --target "${targets[@]}"; else cmake --build "$dir" -j2; fi
