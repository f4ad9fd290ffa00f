#!/usr/bin/env bash
# warren run on the reference set (Kubernetes on the API emulator, topology on the local 3-node
# RabbitMQ cluster, manifests from a git repository), measured as an operator would see it:
#   - idle RSS after IDLE seconds (default 600) with nothing changing;
#   - API requests the agent sent while idle, per kind of request, scaled to an hour;
#   - drift-to-correction latency: `kubectl scale` to the spec being 3 again (median of 10).
#   tests/bench/agent_bench.sh [BUILD_DIR] [IDLE_SECONDS]
# Needs the RabbitMQ cluster (tests/scripts/rabbitmq-cluster.sh start). Reports; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
idle=${2:-600}
work=$(mktemp -d)
trap 'kill "$agent" "$emu" 2>/dev/null || true; rm -rf "$work"' EXIT
source tests/bench/emulator.sh

# The reference set in a git repository.
git init -q -b main "$work/repo"
cp -r manifests "$work/repo/"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n' > "$work/repo/manifests/namespace.yaml"
git -C "$work/repo" add -A && git -C "$work/repo" -c user.name=b -c user.email=b@e commit -qm reference
echo 'guest:guest' > "$work/rabbitmq-credentials"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/agent/warren" run --repo "file://$work/repo" --path manifests --cache-dir "$work/cache-git" -n dev \
  --rabbitmq-url "$(tests/scripts/rabbitmq-cluster.sh urls)" --rabbitmq-credentials-file "$work/rabbitmq-credentials" \
  --force-conflicts --interval 5m --health-interval 30s --listen "127.0.0.1:$port" > "$work/agent.log" 2>&1 &
agent=$!
for _ in $(seq 600); do curl -sf "127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.1; done
sleep 5
admin DELETE /emulator/requests > /dev/null
echo "idle for ${idle}s ..."
sleep "$idle"
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$agent/status")
admin GET /emulator/requests | python3 -c '
import json, sys, collections
idle = float(sys.argv[1])
reqs = [r for r in json.load(sys.stdin)["requests"] if r.get("user") == "admin"]
kinds = collections.Counter(("watch " if "watch=true" in r.get("query", "") else r["method"] + " ") + r["path"].split("/")[-1] for r in reqs)
print(f"API requests while idle: {len(reqs)} in {idle:.0f} s = {len(reqs) * 3600 / idle:.0f}/hour")
for k, v in sorted(kinds.items()): print(f"  {v:4d}  {k}")
' "$idle"
echo "idle RSS after ${idle}s: $((rss_kb / 1024)) MiB ($rss_kb kB)"

# Drift to correction: time from kubectl scale returning to the spec being 3 again.
python3 - "$api" "$token" "$work/emu/ca.crt" "$kubectl" <<'PY'
import json, ssl, subprocess, sys, time, urllib.request
api, token, ca, kubectl = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
ctx = ssl.create_default_context(cafile=ca)
def replicas():
    req = urllib.request.Request(api + "/apis/apps/v1/namespaces/dev/statefulsets/rabbitmq", headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req, context=ctx))["spec"]["replicas"]
samples = []
for i in range(10):
    subprocess.run(kubectl + ["scale", "statefulset", "rabbitmq", "-n", "dev", f"--replicas={5 + i % 2}"], check=True, capture_output=True)
    start = time.monotonic()
    while replicas() != 3:
        if time.monotonic() - start > 30: raise SystemExit("not corrected within 30 s")
        time.sleep(0.002)
    samples.append((time.monotonic() - start) * 1000)
    time.sleep(1.5)
samples.sort()
print(f"drift to correction (kubectl scale -> spec.replicas 3), 10 runs: median {samples[5]:.0f} ms, min {samples[0]:.0f} ms, max {samples[-1]:.0f} ms")
PY
