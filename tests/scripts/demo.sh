#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds warren, checks the
# reference desired state (manifests/) and the seed article's broken deployment, diffs it against
# the Kubernetes API emulator after kubectl applied it, then starts a local 3-node RabbitMQ
# cluster and keeps its topology equal to manifests/ (everything is stopped at the end).
set -uo pipefail
cd "$(dirname "$0")/../.."
tests/scripts/install-deps.sh || exit 2
# Only what the demo runs: warren, the emulator and the forge stand-in (not the test programs).
tests/scripts/build.sh build -DCMAKE_BUILD_TYPE=Release --target warren warren-emulator warren-forge-stub || exit 2
warren=build/agent/warren

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; echo "(exit $?)"; }

step "The reference manifests pass lint" $warren lint manifests
step "The seed article's manifests: every classic mistake named, with its fix" \
  $warren lint tests/fixtures/seed
step "Drift against a captured live StatefulSet: exactly the changed paths" \
  $warren diff tests/golden/statefulset-changed.desired.yaml --live-file tests/golden/statefulset-changed.live.yaml
step "A larger volumeClaimTemplate cannot be applied in place: recreate" \
  $warren diff tests/golden/statefulset-vct-recreate.desired.yaml --live-file tests/golden/statefulset-vct-recreate.live.yaml
step "Secret keys are reported, their values never" \
  $warren diff tests/golden/secret-keys.desired.yaml --live-file tests/golden/secret-keys.live.yaml

# The embedded default: the Kubernetes API emulator stands in for an API server, next to a real
# local 3-node RabbitMQ cluster.
emu_dir=$(mktemp -d)
build/tests/emulator/warren-emulator --state-dir "$emu_dir" \
  --token "demo-limited-token=system:serviceaccount:dev:warren" > "$emu_dir/log" 2>&1 &
emu_pid=$!
trap 'kill $emu_pid 2>/dev/null; tests/scripts/rabbitmq-cluster.sh stop >/dev/null 2>&1; rm -rf "$emu_dir"' EXIT
for _ in $(seq 100); do [ -f "$emu_dir/port" ] && break; sleep 0.05; done
export KUBECONFIG=$emu_dir/kubeconfig
kubectl="kubectl --cache-dir $emu_dir/cache"
tests/scripts/rabbitmq-cluster.sh start || exit 2
echo 'guest:guest' > "$emu_dir/rabbitmq-credentials"  # guest works on loopback only
rmq=(--rabbitmq-url "$(tests/scripts/rabbitmq-cluster.sh urls)" --rabbitmq-credentials-file "$emu_dir/rabbitmq-credentials")
# The reference manifests plus the namespace they live in.
desired=$emu_dir/desired
mkdir -p "$desired" && cp -r manifests/* "$desired/"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n' > "$desired/namespace.yaml"

step "Sync: Kubernetes objects in order, waited for, then the RabbitMQ topology" $warren sync "$desired" -n dev "${rmq[@]}"
step "Diff: in sync, Kubernetes and RabbitMQ" $warren diff "$desired" -n dev "${rmq[@]}"
$kubectl scale statefulset rabbitmq -n dev --replicas=5 > /dev/null
$kubectl set env statefulset/rabbitmq -n dev RABBITMQ_USE_LONGNAME=false > /dev/null
tests/scripts/rabbitmq-cluster.sh ctl 1 set_policy -p orders ha-all '^ha\.' '{"ha-mode":"exactly","ha-params":2}' >/dev/null
step "Drift: kubectl scale and set env, rabbitmqctl set_policy" $warren diff "$desired" -n dev "${rmq[@]}"
step "Sync without --force-conflicts: kubectl owns those fields now" $warren sync "$desired" -n dev "${rmq[@]}"
step "Sync with --force-conflicts" $warren sync "$desired" -n dev --force-conflicts "${rmq[@]}"
step "Diff: in sync again" $warren diff "$desired" -n dev "${rmq[@]}"
step "An RBAC-limited token gets a clear 403" $warren diff "$desired" -n dev --context dev-warren
step "RabbitMQ: cluster health and mirror status" $warren status "$desired" "${rmq[@]}"
tests/scripts/rabbitmq-cluster.sh stop-app 3 >/dev/null
step "RabbitMQ: node 3 stopped" $warren status "$desired" "${rmq[@]}"
tests/scripts/rabbitmq-cluster.sh start-app 3 >/dev/null

# The agent: the same desired state from a git repository, kept live until it is stopped.
git init -q -b main "$emu_dir/repo" && cp -r "$desired" "$emu_dir/repo/manifests"
git -C "$emu_dir/repo" add -A && git -C "$emu_dir/repo" -c user.name=demo -c user.email=demo@example.com commit -qm "reference set"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# A stand-in for GitHub's commit-status API (tests/forge), and the webhook's shared secret.
echo "demo-forge-token" > "$emu_dir/forge-token"
echo "demo-webhook-secret" > "$emu_dir/webhook-secret"
build/tests/warren-forge-stub "$emu_dir/forge-token" "$emu_dir/forge-port" & forge_pid=$!
for _ in $(seq 100); do [ -s "$emu_dir/forge-port" ] && break; sleep 0.05; done
forge="http://127.0.0.1:$(cat "$emu_dir/forge-port")"
status_flags=(--webhook-secret-file "$emu_dir/webhook-secret" --status-provider github --status-api-url "$forge/github"
              --status-repo demo/rabbitmq --status-token-file "$emu_dir/forge-token")
echo
printf '\033[1m== %s\033[0m\n' "The agent: warren run, watching the cluster, polling git and the broker every 5s, webhooks, commit statuses"
echo "\$ $warren run --repo file://$emu_dir/repo --path manifests -n dev --force-conflicts --prune --interval 5s --health-interval 5s ${rmq[*]} ${status_flags[*]} &"
$warren run --repo "file://$emu_dir/repo" --path manifests --cache-dir "$emu_dir/git-cache" -n dev --force-conflicts --prune \
  --interval 5s --health-interval 5s --listen "127.0.0.1:$port" "${rmq[@]}" "${status_flags[@]}" > "$emu_dir/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 300); do curl -sf "127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.1; done
step "Ready once the first reconcile finished" curl -s "127.0.0.1:$port/readyz"
$kubectl scale statefulset rabbitmq -n dev --replicas=5 > /dev/null
$kubectl set env statefulset/rabbitmq -n dev ADDED_BY_HAND=1 > /dev/null
sleep 1
step "kubectl scale and set env: corrected by the watch within a second" \
  $kubectl get statefulset rabbitmq -n dev -o 'jsonpath={.spec.replicas} replicas, ADDED_BY_HAND set: {.spec.template.spec.containers[0].env[?(@.name=="ADDED_BY_HAND")].value}{"\n"}'
printf 'apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: orders-refunds, namespace: dev}\nspec: {name: orders.refunds, vhost: orders, durable: true, rabbitmqClusterReference: {name: rabbitmq}}\n' \
  > "$emu_dir/repo/manifests/rabbitmq/queue-refunds.yaml"
git -C "$emu_dir/repo" add -A && git -C "$emu_dir/repo" -c user.name=demo -c user.email=demo@example.com commit -qm "a queue for refunds"
commit=$(git -C "$emu_dir/repo" rev-parse HEAD)
for _ in $(seq 200); do curl -s "127.0.0.1:$port/metrics" | grep -q "commit=\"$commit\"" && break; sleep 0.1; done
step "A new commit (a queue added) applied at the next poll" tests/scripts/rabbitmq-cluster.sh ctl 1 list_queues -p orders name type
# A push announced by its webhook: applied at once, not at the next poll.
printf 'apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: orders-returns, namespace: dev}\nspec: {name: orders.returns, vhost: orders, durable: true, rabbitmqClusterReference: {name: rabbitmq}}\n' \
  > "$emu_dir/repo/manifests/rabbitmq/queue-returns.yaml"
git -C "$emu_dir/repo" add -A && git -C "$emu_dir/repo" -c user.name=demo -c user.email=demo@example.com commit -qm "a queue for returns"
pushed=$(git -C "$emu_dir/repo" rev-parse HEAD)
body="{\"ref\":\"refs/heads/main\",\"after\":\"$pushed\",\"repository\":{\"clone_url\":\"file://$emu_dir/repo\"}}"
signature="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac demo-webhook-secret -r | cut -d' ' -f1)"
step "GitHub's push webhook, signed (X-Hub-Signature-256)" curl -s -w '%{http_code}\n' -X POST "127.0.0.1:$port/hooks/github" \
  -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: demo-1" -H "X-Hub-Signature-256: $signature" --data-binary "$body"
step "The same delivery again: a replay, nothing triggered" curl -s -w '%{http_code}\n' -X POST "127.0.0.1:$port/hooks/github" \
  -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: demo-1" -H "X-Hub-Signature-256: $signature" --data-binary "$body"
step "A wrong signature: 401" curl -s -w '%{http_code}\n' -X POST "127.0.0.1:$port/hooks/github" \
  -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: demo-2" -H "X-Hub-Signature-256: sha256=0000" --data-binary "$body"
for _ in $(seq 100); do curl -s "$forge/statuses" | grep -q "\"$pushed\"" && break; sleep 0.1; done
sleep 6  # one health interval: warren/health and warren/mirrors for the live commit
step "The commit statuses warren posted for $pushed (read back from the stand-in)" \
  sh -c "curl -s $forge/statuses | python3 -c 'import json,sys; [print(s[\"context\"].ljust(15), s[\"state\"].ljust(8), s[\"description\"]) for s in json.load(sys.stdin) if s[\"sha\"] == \"$pushed\"]'"
step "What /metrics says" sh -c "curl -s 127.0.0.1:$port/metrics | grep -E '^warren_(reconcile_total|drift_corrections_total|last_applied_commit_info|rabbitmq_nodes|webhooks_total|leader)'"
kill -TERM $agent_pid; wait $agent_pid
echo "(warren run exited $? after SIGTERM)"
kill $forge_pid
step "The agent's log" cat "$emu_dir/agent.log"
exit 0
