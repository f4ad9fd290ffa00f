#!/usr/bin/env bash
# A throw-away 3-node RabbitMQ cluster of Debian's rabbitmq-server on loopback, for the tests and
# the demo. No systemd: every node runs from /usr/lib/rabbitmq/bin (the /usr/sbin wrappers switch to
# the rabbitmq user and its cookie) with its own environment, and is stopped by its PID file.
#
#   rabbitmq-cluster.sh start            # start 3 nodes, form the cluster, wait for management
#   rabbitmq-cluster.sh stop             # stop every node and the epmd this script started
#   rabbitmq-cluster.sh ensure           # start unless a 3-node cluster already answers (ctest setup)
#   rabbitmq-cluster.sh release          # stop only what `ensure` started (ctest cleanup)
#   rabbitmq-cluster.sh stop-app N       # rabbitmqctl stop_app on node N (the node stays up)
#   rabbitmq-cluster.sh start-app N      # rabbitmqctl start_app on node N
#   rabbitmq-cluster.sh ctl N ARGS...    # rabbitmqctl against node N
#   rabbitmq-cluster.sh plugins enable|disable NAMES...  # rabbitmq-plugins on every node
#   rabbitmq-cluster.sh urls             # the management URLs, comma-separated
#
# Environment: WARREN_RMQ_DIR (scratch directory, wiped by start; default /tmp/warren-rabbitmq),
# WARREN_RMQ_PORT_BASE (node N uses AMQP BASE+N-1, management BASE+10000+N-1, distribution
# BASE+20000+N-1; default 5682, clear of a system broker on 5672/15672/25672). Formation uses
# classic_config peer discovery (no join step).
set -euo pipefail

dir=${WARREN_RMQ_DIR:-/tmp/warren-rabbitmq}
base=${WARREN_RMQ_PORT_BASE:-5682}
bin=/usr/lib/rabbitmq/bin
nodes=(1 2 3)

amqp_port() { echo $((base + $1 - 1)); }
mgmt_port() { echo $((base + 10000 + $1 - 1)); }
dist_port() { echo $((base + 20000 + $1 - 1)); }

# Runs a command with node N's environment: servers and CLI calls must agree on all of it.
with_node() {
  local n=$1; shift
  env HOME="$dir/home" \
    RABBITMQ_NODENAME="rabbit$n@localhost" \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT="$(dist_port "$n")" \
    RABBITMQ_CONFIG_FILE="$dir/n$n/rabbitmq.conf" \
    RABBITMQ_CONF_ENV_FILE="$dir/n$n/rabbitmq-env.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/n$n/advanced.config" \
    RABBITMQ_MNESIA_BASE="$dir/n$n/mnesia" \
    RABBITMQ_LOG_BASE="$dir/n$n/log" \
    RABBITMQ_PID_FILE="$dir/n$n/rabbit.pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    PATH="$bin:$PATH" "$@"
}

ctl() { local n=$1; shift; with_node "$n" "$bin/rabbitmqctl" -n "rabbit$n@localhost" "$@"; }

# Enables or disables plugins on every running node (they share one enabled_plugins file).
plugins() {
  local verb=$1; shift
  for n in "${nodes[@]}"; do with_node "$n" "$bin/rabbitmq-plugins" -n "rabbit$n@localhost" "$verb" "$@" >/dev/null || return 1; done
}

write_config() {
  local n=$1
  mkdir -p "$dir/n$n"
  cat > "$dir/n$n/rabbitmq.conf" <<EOF
listeners.tcp.default = $(amqp_port "$n")
management.tcp.port = $(mgmt_port "$n")
management.tcp.ip = 127.0.0.1
collect_statistics_interval = 1000
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = rabbit1@localhost
cluster_formation.classic_config.nodes.2 = rabbit2@localhost
cluster_formation.classic_config.nodes.3 = rabbit3@localhost
EOF
}

running_nodes() {  # how many nodes node N's management API reports as running
  curl -s -m 2 -u guest:guest "http://127.0.0.1:$(mgmt_port "$1")/api/nodes" 2>/dev/null |
    grep -o '"running":true' | wc -l
}

start() {
  [ -x "$bin/rabbitmq-server" ] || { echo "rabbitmq-server is not installed" >&2; exit 2; }
  stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  mkdir -p "$dir/home"
  printf '%s' "WARRENTESTCOOKIE$RANDOM$RANDOM" > "$dir/home/.erlang.cookie"
  chmod 400 "$dir/home/.erlang.cookie"
  echo '[rabbitmq_management].' > "$dir/enabled_plugins"
  if ! epmd -names >/dev/null 2>&1; then
    epmd >/dev/null 2>&1 &
    echo $! > "$dir/epmd.pid"
    for _ in $(seq 50); do epmd -names >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  for n in "${nodes[@]}"; do
    write_config "$n"
    with_node "$n" "$bin/rabbitmq-server" -detached
  done
  for n in "${nodes[@]}"; do
    ctl "$n" wait --timeout 120 "$dir/n$n/rabbit.pid" >/dev/null ||
      { echo "node $n did not start; see $dir/n$n/log" >&2; exit 2; }
  done
  local deadline=$((SECONDS + 120))
  for n in "${nodes[@]}"; do
    until [ "$(running_nodes "$n")" -eq ${#nodes[@]} ]; do
      [ $SECONDS -lt $deadline ] || { echo "cluster did not form; see $dir/n*/log" >&2; exit 2; }
      sleep 0.5
    done
  done
  echo "rabbitmq cluster up: $(urls)"
}

stop() {
  local pids=()
  for n in "${nodes[@]}"; do
    [ -f "$dir/n$n/rabbit.pid" ] || continue
    ctl "$n" stop "$dir/n$n/rabbit.pid" >/dev/null 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  # A node that refused to stop politely is killed by its PID.
  for n in "${nodes[@]}"; do
    [ -f "$dir/n$n/rabbit.pid" ] && kill -9 "$(cat "$dir/n$n/rabbit.pid")" 2>/dev/null || true
  done
  if [ -f "$dir/epmd.pid" ]; then kill "$(cat "$dir/epmd.pid")" 2>/dev/null || true; rm -f "$dir/epmd.pid"; fi
}

urls() {
  local out=""
  for n in "${nodes[@]}"; do out+="${out:+,}http://127.0.0.1:$(mgmt_port "$n")"; done
  echo "$out"
}

case "${1:-}" in
  start) start ;;
  ensure)
    if [ "$(running_nodes 1)" -eq ${#nodes[@]} ]; then echo "reusing the running cluster: $(urls)"
    else start && touch "$dir/started-by-ensure"; fi ;;
  release) if [ -f "$dir/started-by-ensure" ]; then stop; fi ;;
  stop) stop ;;
  stop-app) ctl "$2" stop_app ;;
  start-app) ctl "$2" start_app && ctl "$2" await_startup ;;
  ctl) shift; ctl "$@" ;;
  plugins) shift; plugins "$@" ;;
  urls) urls ;;
  *) sed -n "2,18p" "$0" >&2; exit 2 ;;
esac
