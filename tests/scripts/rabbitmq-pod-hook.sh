#!/usr/bin/env bash
# The emulator's pod runtime for rollout tests (warren-emulator --pod-hook): pod ordinal N of any
# StatefulSet is node N+1 of the local cluster (tests/scripts/rabbitmq-cluster.sh). Deleting the
# pod stops the node's RabbitMQ app; creating it starts the app again; the pod is Ready when the
# node's AMQP port accepts a connection, as the cluster-operator's readiness probe checks.
#
#   rabbitmq-pod-hook.sh stop|start|ready NAMESPACE POD ORDINAL
#
# WARREN_POD_HOOK_DIR (optional): each call is appended to its `log` ("stop dev rabbitmq-2"), and a
# file `never-ready-POD` there keeps that pod from ever becoming Ready (a broken image).
set -uo pipefail
verb=$1 ns=$2 pod=$3 ordinal=$4
here=$(cd "$(dirname "$0")" && pwd)
node=$((ordinal + 1))
base=${WARREN_RMQ_PORT_BASE:-5682}
dir=${WARREN_POD_HOOK_DIR:-}
[ -n "$dir" ] && [ "$verb" != ready ] && echo "$verb $ns $pod" >> "$dir/log"
case $verb in
  stop) bash "$here/rabbitmq-cluster.sh" stop-app "$node" >/dev/null 2>&1 ;;
  start) bash "$here/rabbitmq-cluster.sh" start-app "$node" >/dev/null 2>&1 ;;
  ready)
    [ -n "$dir" ] && [ -e "$dir/never-ready-$pod" ] && exit 1
    (exec 3<>"/dev/tcp/127.0.0.1/$((base + node - 1))") 2>/dev/null ;;
  *) echo "usage: $0 stop|start|ready NAMESPACE POD ORDINAL" >&2; exit 2 ;;
esac
