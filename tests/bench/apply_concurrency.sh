#!/bin/bash
# First sync of N ConfigMaps (~2 KB each) on the project's API emulator, with a per-request delay
# on every write (a real API server takes 5-10 ms per server-side apply): `warren sync` with one
# apply in flight at a time, then with --apply-concurrency C. Prints seconds and the ratio.
#
#   tests/bench/apply_concurrency.sh BUILD_DIR [N=2000] [DELAY_MS=5] [C=8]
set -euo pipefail
BUILD=${1:?build directory}
N=${2:-2000}
DELAY=${3:-5}
C=${4:-8}
WORK=$(mktemp -d)
trap 'kill $EMU 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/desired" "$WORK/emu"
pad=$(printf 'x%.0s' $(seq 1900))
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n' > "$WORK/desired/namespace.yaml"
for i in $(seq 0 $((N - 1))); do
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d, namespace: bench}\ndata: {k: %s}\n' "$i" "$pad" \
    > "$WORK/desired/cm-$i.yaml"
done
"$BUILD/tests/emulator/warren-emulator" --state-dir "$WORK/emu" > "$WORK/emu.log" 2>&1 &
EMU=$!
for _ in $(seq 100); do [ -f "$WORK/emu/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/emu/port")
admin() {  # METHOD PATH [JSON]
  local data='{}'
  [ $# -ge 3 ] && data=$3
  local body=(-H 'Content-Type: application/json' -d "$data")
  curl -sf --cacert "$WORK/emu/ca.crt" --cert "$WORK/emu/admin.crt" --key "$WORK/emu/admin.key" \
    -X "$1" "https://127.0.0.1:$PORT$2" "${body[@]}" > /dev/null
}
sync_seconds() {
  admin POST /emulator/reset
  admin POST /emulator/faults "{\"method\":\"PATCH\",\"pathPrefix\":\"/api\",\"latencyMs\":$DELAY,\"times\":-1}"
  local start end
  start=$(date +%s.%N)
  KUBECONFIG="$WORK/emu/kubeconfig" "$BUILD/agent/warren" sync "$WORK/desired" -n bench --timeout 5m \
    --apply-concurrency "$1" > "$WORK/sync-$1.log" 2>&1 || { cat "$WORK/sync-$1.log"; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}
one=$(sync_seconds 1)
many=$(sync_seconds "$C")
awk -v n="$N" -v d="$DELAY" -v c="$C" -v one="$one" -v many="$many" 'BEGIN {
  printf "first sync of %d ConfigMaps, %d ms per write: 1 in flight %.2f s, %d in flight %.2f s, speed-up %.1fx\n",
    n, d, one, c, many, one / many }'
