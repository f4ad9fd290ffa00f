# Sourced by the benchmark scripts: starts the API emulator in $work/emu (1 s controller tick),
# exports KUBECONFIG, and defines $kubectl, $token, $api and admin METHOD PATH (its admin endpoints).
# The caller's EXIT trap kills "$emu".
"$build/tests/emulator/warren-emulator" --state-dir "$work/emu" --tick-ms 1000 > "$work/emu.log" 2>&1 &
emu=$!
for _ in $(seq 100); do [ -f "$work/emu/port" ] && break; sleep 0.05; done
export KUBECONFIG=$work/emu/kubeconfig
kubectl="kubectl --cache-dir $work/cache"
token=$(awk '/token:/ {print $2; exit}' "$KUBECONFIG")
api="https://127.0.0.1:$(cat "$work/emu/port")"
admin() { curl -s --cacert "$work/emu/ca.crt" -H "Authorization: Bearer $token" -X "$1" "$api$2"; }
