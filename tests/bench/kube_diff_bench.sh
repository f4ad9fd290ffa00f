#!/usr/bin/env bash
# warren diff vs kubectl diff --server-side over the same N objects on the API emulator (default
# 1,000: StatefulSets, Services, ConfigMaps and Secrets in 4 namespaces, applied by kubectl first).
# Reports wall time of each (best of 3), their ratio, and how many API requests each sent.
#   tests/bench/kube_diff_bench.sh [BUILD_DIR] [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
n=${2:-1000}
work=$(mktemp -d)
trap 'kill "$emu" 2>/dev/null || true; rm -rf "$work"' EXIT
source tests/bench/emulator.sh

mkdir -p "$work/desired"
python3 - "$work/desired" "$n" <<'PY'
import sys
out, n = sys.argv[1], int(sys.argv[2])
with open(f"{out}/namespaces.yaml", "w") as f:
    for i in range(4):
        f.write(f"---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: bench-{i}}}\n")
with open(f"{out}/objects.yaml", "w") as f:
    for i in range(n):
        ns, kind = f"bench-{i % 4}", ["StatefulSet", "Service", "ConfigMap", "Secret"][i % 4]
        name = f"obj-{i}"
        if kind == "StatefulSet":
            f.write(f"""---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: {name}, namespace: {ns}, labels: {{app: {name}}}}}
spec:
  serviceName: {name}
  replicas: 0
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: rabbitmq
        image: rabbitmq:3.10-management
        ports: [{{name: amqp, containerPort: 5672}}]
        env: [{{name: RABBITMQ_USE_LONGNAME, value: "true"}}]
        resources: {{requests: {{cpu: 500m, memory: 1Gi}}, limits: {{memory: 2Gi}}}}
  volumeClaimTemplates:
  - metadata: {{name: data}}
    spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 5Gi}}}}}}
""")
        elif kind == "Service":
            f.write(f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\n"
                    f"spec: {{selector: {{app: {name}}}, ports: [{{name: amqp, port: 5672}}]}}\n")
        elif kind == "ConfigMap":
            f.write(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: {ns}}}\n"
                    f"data: {{rabbitmq.conf: \"loopback_users.guest = false\\nlisteners.tcp.default = 5672\\n\"}}\n")
        else:
            f.write(f"---\napiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {ns}}}\n"
                    f"stringData: {{password: bench-{i}}}\n")
PY
$kubectl apply --server-side -f "$work/desired/namespaces.yaml" > /dev/null
$kubectl apply --server-side -f "$work/desired/objects.yaml" > /dev/null

best() {  # best wall time of 3 runs of "$@", in ms; exit codes 0/1 are fine
  local b=999999
  for _ in 1 2 3; do
    local s e
    s=$(date +%s%N)
    "$@" > /dev/null 2>&1 || [ $? -eq 1 ]
    e=$(date +%s%N)
    b=$(( (e - s) / 1000000 < b ? (e - s) / 1000000 : b ))
  done
  echo "$b"
}
requests() {  # API requests of one run of "$@"
  admin DELETE /emulator/requests > /dev/null
  "$@" > /dev/null 2>&1 || true
  admin GET /emulator/requests | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'
}
$kubectl diff --server-side -f "$work/desired/objects.yaml" > /dev/null 2>&1 || true  # warm the discovery cache
w=$(best "$build/agent/warren" diff "$work/desired/objects.yaml")
k=$(best $kubectl diff --server-side -f "$work/desired/objects.yaml")
wd=$(best "$build/agent/warren" diff "$work/desired/objects.yaml" --server-dry-run)
wr=$(requests "$build/agent/warren" diff "$work/desired/objects.yaml")
kr=$(requests $kubectl diff --server-side -f "$work/desired/objects.yaml")
wdr=$(requests "$build/agent/warren" diff "$work/desired/objects.yaml" --server-dry-run)
echo "objects: $n; warren's verdict: $("$build/agent/warren" diff "$work/desired/objects.yaml" | tail -1)"
echo "warren diff:                   ${w} ms, ${wr} requests"
echo "warren diff --server-dry-run:  ${wd} ms, ${wdr} requests"
echo "kubectl diff --server-side:    ${k} ms, ${kr} requests"
python3 -c "print(f'wall time kubectl/warren: {$k/max($w,1):.1f}x; requests kubectl/warren: {$kr/max($wr,1):.1f}x')"
