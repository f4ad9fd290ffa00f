#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds warren, then checks the
# reference desired state (manifests/) and the seed article's broken deployment.
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
exit 0
