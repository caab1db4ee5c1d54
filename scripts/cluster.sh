#!/usr/bin/env bash
# ProdVisual on several nodes, on this machine: PostgreSQL and the S3 store (scripts/dev-services.sh,
# data in .cluster/services), two API nodes and two worker nodes of .build/release/prodvisual, and
# nginx on loopback spreading requests over the API nodes (round robin). Output links point at nginx.
#
#   scripts/cluster.sh start     (make cluster)       prints the URL and a live key with 1000 credits
#   scripts/cluster.sh stop      (make cluster-stop)  stops nginx, the nodes, the services; keeps data
#   scripts/cluster.sh status
#
# Everything lives in .cluster/: nodeN/ (each node's --data-dir and node.log), nodeN.pid, nginx/
# (its config, pid, logs and temp files), services/, cluster.env (the URL and key of the last start).
# PRODVISUAL_CLUSTER_PORT picks nginx's port (default 8090, else a free one); PRODVISUAL_BIN another
# prodvisual binary.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cluster=$root/.cluster
services=$cluster/services
nginx_dir=$cluster/nginx
tls_dir=$cluster/tls
bin=${PRODVISUAL_BIN:-$root/.build/release/prodvisual}
NGINX=/usr/sbin/nginx
NODES=(1 2 3 4)
role_of() { if [ "$1" -le 2 ]; then echo api; else echo worker; fi; }

say() { echo "cluster: $*" >&2; }
die() { say "$*"; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_free() {
  python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

# The pid in FILE when that process is still what we started (its command line contains WORD).
live_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" && echo "$pid"
}
node_pid() { live_pid "$cluster/node$1.pid" "serve --role"; }
nginx_pid() { live_pid "$nginx_dir/nginx.pid" "nginx -p $nginx_dir/"; }

wait_health() {
  local url=$1 what=$2 pidfn=$3 i
  for i in $(seq 1 240); do
    curl -fsS --cacert "$tls_dir/cert.pem" -o /dev/null -m 2 "$url/health" 2>/dev/null && return 0
    if [ -n "$pidfn" ] && ! $pidfn >/dev/null; then
      return 1
    fi
    sleep 0.5
  done
  return 1
}

start_node() {
  local n=$1 role port=$2 dir=$cluster/node$1
  role=$(role_of "$n")
  mkdir -p "$dir"
  say "node$n: $role on 127.0.0.1:$port (log $dir/node.log)"
  echo "=== scripts/cluster.sh start $(date -u +%FT%TZ): $role on 127.0.0.1:$port" >>"$dir/node.log"
  # Own session, cwd the repository (./models), pid written by the shell that execs the node.
  (cd "$root" && exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$cluster/node$n.pid" \
    "$bin" serve --role "$role" --port "$port" --host 127.0.0.1 --data-dir "$dir" --public-url "$public_url" \
    --require-https --trusted-proxy 127.0.0.1 \
    --database-url "$PRODVISUAL_DATABASE_URL" --object-store-url "$PRODVISUAL_OBJECT_STORE_URL" \
    --s3-endpoint "$PRODVISUAL_S3_ENDPOINT") </dev/null >>"$dir/node.log" 2>&1 &
  for _ in $(seq 1 20); do [ -s "$cluster/node$n.pid" ] && break; sleep 0.1; done
}

node_failed() {
  tail -n 20 "$cluster/node$1/node.log" >&2 || true
  die "node$1 did not come up (log $cluster/node$1/node.log); scripts/cluster.sh stop cleans up"
}

write_nginx_conf() {
  local user_line="" n
  # nginx started by root would hand its workers to `nobody`, who cannot write the temp folders.
  [ "$(id -u)" -ne 0 ] || user_line="user root;"
  mkdir -p "$nginx_dir/tmp"
  {
    cat <<EOF
# Written by scripts/cluster.sh on each start.
$user_line
worker_processes 1;
daemon on;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log warn;
events { worker_connections 512; }
http {
  access_log $nginx_dir/access.log;
  client_body_temp_path $nginx_dir/tmp/client_body;
  proxy_temp_path $nginx_dir/tmp/proxy;
  fastcgi_temp_path $nginx_dir/tmp/fastcgi;
  uwsgi_temp_path $nginx_dir/tmp/uwsgi;
  scgi_temp_path $nginx_dir/tmp/scgi;

  upstream prodvisual_api {
EOF
    for n in "${NODES[@]}"; do
      [ "$(role_of "$n")" = api ] && echo "    server 127.0.0.1:${node_ports[$n]};"
    done
    cat <<EOF
    keepalive 16;
  }

  server {
    # TLS ends here; the nodes believe this proxy's X-Forwarded-Proto and refuse plain HTTP.
    listen 127.0.0.1:$lb_port ssl;
    ssl_certificate $tls_dir/cert.pem;
    ssl_certificate_key $tls_dir/key.pem;
    client_max_body_size 25m;
    location / {
      proxy_pass http://prodvisual_api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$http_host;
      proxy_set_header X-Forwarded-Port \$server_port;
      proxy_connect_timeout 5s;
      proxy_send_timeout 120s;
      proxy_read_timeout 120s;
    }
  }
}
EOF
  } >"$nginx_dir/nginx.conf"
}

# A self-signed certificate for 127.0.0.1, made once: HTTPS on one machine, as in production.
make_certificate() {
  [ -s "$tls_dir/cert.pem" ] && return 0
  mkdir -p "$tls_dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" 2>/dev/null || die "openssl could not make a certificate"
  chmod 600 "$tls_dir/key.pem"
}

nginx_cmd() { "$NGINX" -p "$nginx_dir/" -c "$nginx_dir/nginx.conf" -e "$nginx_dir/error.log" "$@"; }

all_running() {
  local n
  nginx_pid >/dev/null || return 1
  for n in "${NODES[@]}"; do node_pid "$n" >/dev/null || return 1; done
  "$root/scripts/dev-services.sh" status "$services" >/dev/null 2>&1
}

print_info() {
  # shellcheck disable=SC1091
  . "$cluster/cluster.env"
  cat <<EOF
ProdVisual cluster: 2 API nodes and 2 workers behind nginx
  URL:  $CLUSTER_URL
  key:  $CLUSTER_KEY   (live, 1000 credits)
  try:  curl -s --cacert .cluster/tls/cert.pem $CLUSTER_URL/v1/account/credits -H "Authorization: Bearer $CLUSTER_KEY"
  TLS:  a self-signed certificate for 127.0.0.1 in .cluster/tls/cert.pem (nginx terminates TLS)
  logs: .cluster/nodeN/node.log, .cluster/nginx/, .cluster/services/
  stop: make cluster-stop   (or scripts/cluster.sh stop; the data stays in .cluster/)
EOF
}

cmd_start() {
  if [ -f "$cluster/cluster.env" ] && all_running; then
    say "already running"
    print_info
    return 0
  fi
  stop_nodes_and_nginx
  [ -x "$NGINX" ] || die "$NGINX missing: scripts/install-deps.sh installs nginx"
  if [ ! -x "$bin" ]; then
    [ -z "${PRODVISUAL_BIN:-}" ] || die "PRODVISUAL_BIN=$bin is not an executable"
    say "building $bin"
    (cd "$root" && swift build -c release --product prodvisual) >&2
  fi
  mkdir -p "$cluster"
  # As root PostgreSQL runs as the postgres user, who must get through to .cluster/services/pg.
  chmod 711 "$cluster"
  local env_lines
  env_lines=$("$root/scripts/dev-services.sh" start "$services")
  eval "$env_lines"

  lb_port=${PRODVISUAL_CLUSTER_PORT:-8090}
  if ! port_free "$lb_port"; then
    [ -z "${PRODVISUAL_CLUSTER_PORT:-}" ] || die "port $lb_port (PRODVISUAL_CLUSTER_PORT) is taken"
    lb_port=$(free_port)
  fi
  public_url=https://127.0.0.1:$lb_port
  make_certificate
  declare -gA node_ports=()
  local n
  for n in "${NODES[@]}"; do
    node_ports[$n]=$(free_port)
    while [ "${node_ports[$n]}" = "$lb_port" ]; do node_ports[$n]=$(free_port); done
  done

  # The first node alone first, so that one node brings the shared database's schema up to date.
  start_node 1 "${node_ports[1]}"
  wait_health "http://127.0.0.1:${node_ports[1]}" node1 "node_pid 1" || node_failed 1
  for n in 2 3 4; do start_node "$n" "${node_ports[$n]}"; done
  for n in "${NODES[@]}"; do
    if [ "$(role_of "$n")" = api ]; then
      wait_health "http://127.0.0.1:${node_ports[$n]}" "node$n" "node_pid $n" || node_failed "$n"
    fi
  done
  sleep 1
  for n in "${NODES[@]}"; do node_pid "$n" >/dev/null || node_failed "$n"; done

  write_nginx_conf
  if ! nginx_cmd -t -q 2>"$nginx_dir/config-test.log"; then
    cat "$nginx_dir/config-test.log" >&2
    die "nginx rejects $nginx_dir/nginx.conf"
  fi
  say "nginx on $public_url -> node1, node2 (logs $nginx_dir)"
  nginx_cmd </dev/null >&2
  wait_health "$public_url" nginx "" || die "nginx at $public_url does not reach the API nodes"

  local out key
  out=$("$bin" keys create --database-url "$PRODVISUAL_DATABASE_URL" --credits 1000 --name cluster) \
    || die "prodvisual keys create failed"
  key=$(tail -n 1 <<<"$out")
  [[ "$key" == pv_live_* ]] || say "warning: keys create's last line does not look like a live key"
  (umask 077; printf 'CLUSTER_URL=%q\nCLUSTER_KEY=%q\n' "$public_url" "$key" >"$cluster/cluster.env")
  print_info
}

stop_nodes_and_nginx() {
  local pid n pids=()
  if pid=$(nginx_pid); then
    say "stopping nginx (pid $pid)"
    nginx_cmd -s quit 2>/dev/null || kill -QUIT "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
  for n in "${NODES[@]}"; do
    if pid=$(node_pid "$n"); then
      say "stopping node$n (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  # Nodes finish running jobs for up to 30 s (--shutdown-grace-seconds) before they exit.
  for _ in $(seq 1 70); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 1 ] || break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$cluster"/node?.pid
}

cmd_stop() {
  [ -d "$cluster" ] || return 0
  stop_nodes_and_nginx
  "$root/scripts/dev-services.sh" stop "$services"
}

cmd_status() {
  local n pid rc=0
  for n in "${NODES[@]}"; do
    if pid=$(node_pid "$n"); then echo "node$n ($(role_of "$n")): running (pid $pid)"; else echo "node$n ($(role_of "$n")): stopped"; rc=3; fi
  done
  if pid=$(nginx_pid); then echo "nginx: running (pid $pid)"; else echo "nginx: stopped"; rc=3; fi
  "$root/scripts/dev-services.sh" status "$services" || rc=3
  return $rc
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
