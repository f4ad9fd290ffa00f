#!/usr/bin/env bash
# Installs everything warren needs to build and test, from Debian packages only.
# Idempotent: when every package is already installed it does nothing (no apt-get update).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libyaml-cpp-dev nlohmann-json3-dev libgit2-dev libcurl4-openssl-dev libssl-dev
  libspdlog-dev libcli11-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  ccache clang-format
)
# Services the tests start themselves: a 3-node RabbitMQ cluster (tests/scripts/rabbitmq-cluster.sh).
packages+=(rabbitmq-server curl)
# Real git servers for the git source tests (tests/scripts/git-servers.sh): HTTPS and SSH.
packages+=(openssl lighttpd lighttpd-mod-openssl openssh-server openssh-client)
# The agent's /metrics is checked with promtool and scraped by a real Prometheus.
packages+=(prometheus)
# The fuzz targets (tests/scripts/fuzz.sh): clang with libFuzzer and the sanitizers' runtimes.
packages+=(clang libclang-rt-14-dev)
# The SOPS tests wrap data keys with the real age CLI as well as with their own writer.
packages+=(age)
# diff_bench reads the peak RSS of `warren diff` runs from GNU time.
packages+=(time)
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
# The servers among these (rabbitmq-server, lighttpd, sshd, prometheus) are started by the tests
# themselves on loopback ports: keep the packages from starting system-wide copies on install.
policy=/usr/sbin/policy-rc.d
made_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" > /dev/null
  "${as_root[@]}" chmod 755 "$policy"
  made_policy=true
fi
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
if $made_policy; then "${as_root[@]}" rm -f "$policy"; fi
