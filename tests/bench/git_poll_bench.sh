#!/usr/bin/env bash
# The git source's poll costs on a repository with N commits (default 1,000) served over smart
# HTTPS (git-http-backend behind lighttpd): the first clone, a poll when nothing changed (one
# ls-remote), and a poll after one new commit (an incremental fetch). Each is a whole
# `warren diff --repo ...` run; best of 3.
#   tests/bench/git_poll_bench.sh [BUILD_DIR] [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
n=${2:-1000}
work=$(mktemp -d)
trap 'tests/scripts/git-servers.sh stop "$work/srv" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
tests/scripts/git-servers.sh start "$work/srv" > /dev/null
. "$work/srv/env"

# N commits with git fast-import: a ConfigMap whose data changes each time.
git init -q -b main "$work/src"
python3 - "$n" <<'PY' | git -C "$work/src" fast-import --quiet
import sys
n = int(sys.argv[1])
for i in range(n):
    body = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: app, namespace: dev}}\ndata: {{revision: \"{i}\"}}\n"
    msg = f"revision {i}\n"
    print("commit refs/heads/main")
    print(f"committer Bench <bench@example.com> {1700000000 + i} +0000")
    print(f"data {len(msg)}\n{msg}", end="")
    print("M 100644 inline deploy/configmap.yaml")
    print(f"data {len(body.encode())}\n{body}")
PY
git -C "$work/src" reset -q --hard main
git clone -q --bare "$work/src" "$work/srv/repos/app.git"
printf 'git:%s\n' "$(cat "$work/srv/password")" > "$work/auth"
printf '{"apiVersion":"v1","kind":"List","items":[]}\n' > "$work/live.json"
url="https://127.0.0.1:$HTTPS_PORT/git/app.git"
run() {  # one warren diff against the repository, in ms; a failed one ends the benchmark
  local s e rc=0
  s=$(date +%s%N)
  "$build/agent/warren" diff --repo "$url" --ref main --path deploy --auth-file "$work/auth" --ca-file "$work/srv/ca.crt" \
    --cache-dir "$work/cache" --live-file "$work/live.json" > "$work/last.out" 2>&1 || rc=$?
  e=$(date +%s%N)
  if [ "$rc" -gt 1 ]; then cat "$work/last.out" >&2; echo "warren diff failed (exit $rc): no timing" >&2; kill $$; fi
  echo $(( (e - s) / 1000000 ))
}
commit() {
  git -C "$work/src" -c user.name=b -c user.email=b@example.com commit -q --allow-empty -m "one more"
  git -C "$work/src" push -q "$work/srv/repos/app.git" main
}
clone=$(run)
best_poll=999999; best_fetch=999999
for _ in 1 2 3; do
  p=$(run); [ "$p" -lt "$best_poll" ] && best_poll=$p
  commit
  f=$(run); [ "$f" -lt "$best_fetch" ] && best_fetch=$f
done
echo "repository: $n commits over smart HTTPS"
echo "first clone:                 ${clone} ms"
echo "poll, nothing changed:       ${best_poll} ms (one ls-remote)"
echo "poll after one new commit:   ${best_fetch} ms (incremental fetch)"
