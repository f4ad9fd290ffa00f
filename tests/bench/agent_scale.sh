#!/bin/bash
# `warren run` over N ConfigMaps of about 2 KB each on the project's API emulator, for each N:
# seconds to the first /readyz, API requests to it, RSS then and after IDLE seconds of nothing
# changing, and the requests sent while idle. Then the growth per object, the time ratios, and a
# check of deploy/README.md's sizing formula (base plus per object) against every RSS measured:
# exit 1 if the formula would not hold one of them.
#
#   tests/bench/agent_scale.sh BUILD_DIR [N ...]       (default N: 100 1000 2000 10000; IDLE=30)
# SIZING_CHECK=0 reports the formula without judging by it (a sanitizer build).
set -euo pipefail
BUILD=${1:?build directory}
shift
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 1000 2000 10000)
IDLE=${IDLE:-30}
SIZING_CHECK=${SIZING_CHECK:-1}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
EMU='' AGENT=''
trap 'kill $AGENT $EMU 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

# The formula, from the README that operators read: "base B MiB plus P KiB per object".
formula=$(grep -o 'base [0-9]* MiB plus [0-9]* KiB per object' "$ROOT/deploy/README.md" | head -1)
[ -n "$formula" ] || { echo "deploy/README.md: no sizing formula ('base B MiB plus P KiB per object')" >&2; exit 1; }
BASE_MIB=$(awk '{print $2}' <<< "$formula")
PER_KIB=$(awk '{print $5}' <<< "$formula")

free_port() {  # a port nothing listens on now (bound by the agent a moment later)
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null || { echo "$p"; return; }
  done
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }

measure() {  # N -> one line: n ready_s requests_to_ready rss_ready_kb rss_idle_kb requests_idle
  local n=$1 dir="$WORK/$1" pad
  mkdir -p "$dir/desired" "$dir/emu"
  pad=$(printf 'x%.0s' $(seq 1900))
  printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n' > "$dir/desired/namespace.yaml"
  for i in $(seq 0 $((n - 1))); do
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d, namespace: bench}\ndata: {k: %s}\n' "$i" "$pad"
  done | awk -v d="$dir/desired" '/^apiVersion/ {f = sprintf("%s/cm-%d.yaml", d, c++)} {print > f; if (/^data/) close(f)}'
  "$BUILD/tests/emulator/warren-emulator" --state-dir "$dir/emu" > "$dir/emu.log" 2>&1 &
  EMU=$!
  for _ in $(seq 100); do [ -f "$dir/emu/port" ] && break; sleep 0.1; done
  local api="https://127.0.0.1:$(cat "$dir/emu/port")"
  requests() {
    curl -sf --cacert "$dir/emu/ca.crt" --cert "$dir/emu/admin.crt" --key "$dir/emu/admin.key" "$api/emulator/requests" |
      grep -o '"method":' | wc -l
  }
  local health start ready r_ready rss_ready rss_idle r_idle
  health=$(free_port)
  start=$(now)
  KUBECONFIG="$dir/emu/kubeconfig" "$BUILD/agent/warren" run "$dir/desired" -n bench --listen "127.0.0.1:$(free_port)" \
    --health-addr "127.0.0.1:$health" > "$dir/agent.log" 2>&1 &
  AGENT=$!
  until curl -sf "http://127.0.0.1:$health/readyz" > /dev/null; do
    kill -0 $AGENT 2> /dev/null || { cat "$dir/agent.log" >&2; exit 1; }
    sleep 0.05
  done
  ready=$(now)
  rss_ready=$(rss_kb $AGENT)
  r_ready=$(requests)
  sleep "$IDLE"
  rss_idle=$(rss_kb $AGENT)
  r_idle=$(($(requests) - r_ready))
  kill $AGENT $EMU
  wait $AGENT $EMU 2> /dev/null || true
  AGENT='' EMU=''
  rm -rf "$dir"
  awk -v n="$n" -v a="$start" -v b="$ready" -v r="$r_ready" -v x="$rss_ready" -v y="$rss_idle" -v i="$r_idle" \
    'BEGIN { printf "%d %.2f %d %d %d %d\n", n, b - a, r, x, y, i }'
}

results=()
for n in "${SIZES[@]}"; do results+=("$(measure "$n")"); done

printf '%s\n' "${results[@]}" | awk -v base="$BASE_MIB" -v per="$PER_KIB" -v idle="$IDLE" -v judge="$SIZING_CHECK" '
  { n[NR] = $1; t[NR] = $2; r[NR] = $3; x[NR] = $4; y[NR] = $5; i[NR] = $6 }
  END {
    printf "%8s %12s %18s %14s %16s %16s\n", "objects", "ready (s)", "requests to ready", "RSS ready", "RSS after idle",
      "requests idle"
    for (k = 1; k <= NR; k++)
      printf "%8d %12.2f %18d %10.1f MiB %12.1f MiB %9d in %ds\n", n[k], t[k], r[k], x[k] / 1024, y[k] / 1024, i[k], idle
    for (k = 2; k <= NR; k++)
      printf "%d -> %d objects: RSS at ready grows %.1f KiB per object; time to ready x%.1f for x%.0f objects\n",
        n[1], n[k], (x[k] - x[1]) / (n[k] - n[1]), t[k] / t[1], n[k] / n[1]
    bad = 0
    for (k = 1; k <= NR; k++) {
      limit = base * 1024 + per * n[k]
      worst = x[k] > y[k] ? x[k] : y[k]
      if (worst > limit) { bad = 1; printf "SIZING FORMULA EXCEEDED at %d objects: %.1f MiB > %.1f MiB\n", n[k], worst / 1024, limit / 1024 }
    }
    if (!bad) printf "every RSS is within deploy/README.md: base %d MiB plus %d KiB per object\n", base, per
    exit judge ? bad : 0
  }'
