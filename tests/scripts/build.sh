#!/usr/bin/env bash
# Configures and builds one build tree: build.sh DIR [cmake options...]. Two cores: -j2.
set -euo pipefail
dir=$1; shift
cmake -S . -B "$dir" -G Ninja "$@" > /dev/null
cmake --build "$dir" -j2
