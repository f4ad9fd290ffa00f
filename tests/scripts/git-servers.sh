#!/usr/bin/env bash
# Real git servers on loopback for the git source tests, serving the bare repositories in DIR/repos:
#   smart HTTPS: git-http-backend (CGI) behind lighttpd, TLS from a test CA, basic auth
#   SSH:         sshd on its own port, key authentication only, a host key made here
#
#   git-servers.sh start DIR     # prints HTTPS_PORT=..., SSH_PORT=... and writes DIR/env
#   git-servers.sh stop DIR
#
# DIR/ca.crt is the CA the HTTPS certificate is signed by; DIR/htpasswd holds "git:<password>"
# (password in DIR/password); DIR/client_key is the key sshd accepts; DIR/known_hosts lists the
# server's host key for [127.0.0.1]:SSH_PORT.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,12p' "$0" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {
  mkdir -p "$dir/repos" "$dir/run"
  # TLS: a CA and a certificate for 127.0.0.1.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=warren-test-ca \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  # Debian's libgit2 verifies with mbedTLS, which compares the host only with DNS names: list
  # 127.0.0.1 as one too, besides the IP entry other clients use.
  printf 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost\n' > "$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/san.ext" -out "$dir/server.crt" 2>/dev/null
  cat "$dir/server.crt" "$dir/server.key" > "$dir/server.pem"
  # Basic auth for the git user.
  password="pw-$(openssl rand -hex 8)"
  printf '%s' "$password" > "$dir/password"
  printf 'git:%s\n' "$password" > "$dir/htpasswd"
  https_port=$(free_port)
  cat > "$dir/lighttpd.conf" <<CONF
server.modules = ("mod_openssl", "mod_auth", "mod_authn_file", "mod_alias", "mod_setenv", "mod_cgi")
server.document-root = "$dir/repos"
server.bind = "127.0.0.1"
server.port = $https_port
server.pid-file = "$dir/run/lighttpd.pid"
server.errorlog = "$dir/run/lighttpd.log"
ssl.engine = "enable"
ssl.pemfile = "$dir/server.pem"
auth.backend = "plain"
auth.backend.plain.userfile = "$dir/htpasswd"
auth.require = ("/git/" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
alias.url = ("/git" => "/usr/lib/git-core/git-http-backend")
\$HTTP["url"] =~ "^/git" {
  cgi.assign = ("" => "")
  setenv.set-environment = ("GIT_PROJECT_ROOT" => "$dir/repos", "GIT_HTTP_EXPORT_ALL" => "1")
}
CONF
  /usr/sbin/lighttpd -f "$dir/lighttpd.conf"
  # SSH: host key, the client's key, sshd on its own port.
  ssh-keygen -q -t ed25519 -N "" -f "$dir/host_key" -C warren-test-host
  ssh-keygen -q -t ed25519 -N "" -f "$dir/client_key" -C warren-test-client
  cp "$dir/client_key.pub" "$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys"
  ssh_port=$(free_port)
  printf '[127.0.0.1]:%s %s\n' "$ssh_port" "$(cut -d' ' -f1,2 "$dir/host_key.pub")" > "$dir/known_hosts"
  mkdir -p /run/sshd 2>/dev/null || true  # privilege separation directory (root only; unprivileged sshd skips it)
  cat > "$dir/sshd_config" <<CONF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/run/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
CONF
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/run/sshd.log"
  for _ in $(seq 50); do
    [ -f "$dir/run/sshd.pid" ] && [ -f "$dir/run/lighttpd.pid" ] && break
    sleep 0.1
  done
  printf 'HTTPS_PORT=%s\nSSH_PORT=%s\n' "$https_port" "$ssh_port" | tee "$dir/env"
}

# Stops both servers and waits (up to 5 s) until they are gone, so the ports and files are free.
stop() {
  local pids=()
  for f in "$dir/run/lighttpd.pid" "$dir/run/sshd.pid"; do
    [ -f "$f" ] && pids+=("$(cat "$f")")
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "${pids[@]}" 2>/dev/null || return 0
    sleep 0.1
  done
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
