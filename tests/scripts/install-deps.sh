#!/usr/bin/env bash
# Installs everything warren needs to build and test, from Debian packages only.
# Idempotent: when every package is already installed it does nothing (no apt-get update).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libyaml-cpp-dev nlohmann-json3-dev libgit2-dev libcurl4-openssl-dev libssl-dev
  libspdlog-dev libcli11-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Services the tests start themselves: a 3-node RabbitMQ cluster (tests/scripts/rabbitmq-cluster.sh).
packages+=(rabbitmq-server curl)
# Real git servers for the git source tests (tests/scripts/git-servers.sh): HTTPS and SSH.
packages+=(openssl lighttpd lighttpd-mod-openssl openssh-server openssh-client)
packages+=(${WARREN_EXTRA_PACKAGES:-})

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "installing: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
