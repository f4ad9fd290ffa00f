#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds warren, checks the
# reference desired state (manifests/) and the seed article's broken deployment, then starts a
# local 3-node RabbitMQ cluster and keeps its topology equal to manifests/ (stopped at the end).
set -uo pipefail
cd "$(dirname "$0")/../.."
tests/scripts/install-deps.sh || exit 2
tests/scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo || exit 2
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

tests/scripts/rabbitmq-cluster.sh start || exit 2
trap 'tests/scripts/rabbitmq-cluster.sh stop >/dev/null' EXIT
creds=$(mktemp)
echo 'guest:guest' > "$creds"  # guest works on loopback only
rmq=(--rabbitmq-url "$(tests/scripts/rabbitmq-cluster.sh urls)" --rabbitmq-credentials-file "$creds")
step "RabbitMQ: what manifests/ would create in an empty cluster" $warren diff manifests "${rmq[@]}"
step "RabbitMQ: sync the vhost, ha-all policy, exchange, queues and binding" $warren sync manifests "${rmq[@]}"
step "RabbitMQ: in sync" $warren diff manifests "${rmq[@]}"
tests/scripts/rabbitmq-cluster.sh ctl 1 set_policy -p orders ha-all '^ha\.' '{"ha-mode":"exactly","ha-params":2}' >/dev/null
step "RabbitMQ: someone changed the policy with rabbitmqctl" $warren diff manifests "${rmq[@]}"
step "RabbitMQ: restored" $warren sync manifests "${rmq[@]}"
step "RabbitMQ: cluster health and mirror status" $warren status manifests "${rmq[@]}"
tests/scripts/rabbitmq-cluster.sh stop-app 3 >/dev/null
step "RabbitMQ: node 3 stopped" $warren status manifests "${rmq[@]}"
tests/scripts/rabbitmq-cluster.sh start-app 3 >/dev/null
rm -f "$creds"
exit 0
