#!/usr/bin/env bash
# Runs COMMAND with a throw-away PostgreSQL and S3 store (scripts/dev-services.sh in a fresh temporary
# folder), then stops them and deletes the folder whatever COMMAND did, and exits with its status.
#
#   scripts/with-services.sh swift test
#
# COMMAND sees the services under test names only: PRODVISUAL_TEST_DATABASE_URL,
# PRODVISUAL_TEST_OBJECT_STORE_URL, PRODVISUAL_TEST_S3_ENDPOINT, PRODVISUAL_TEST_SERVER_SECRET, and
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION as they are. PRODVISUAL_DATABASE_URL,
# PRODVISUAL_OBJECT_STORE_URL, PRODVISUAL_S3_ENDPOINT and PRODVISUAL_SERVER_SECRET are removed from
# its environment, so servers the tests start themselves keep their embedded SQLite default.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/prodvisual-services.XXXXXX")
# 711: as root, PostgreSQL runs as the postgres user and must get through to dir/pg.
chmod 711 "$dir"

cleanup() {
  "$here/dev-services.sh" stop "$dir" || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

exports=$("$here/dev-services.sh" start "$dir")
eval "$exports"
export PRODVISUAL_TEST_DATABASE_URL=$PRODVISUAL_DATABASE_URL
export PRODVISUAL_TEST_OBJECT_STORE_URL=$PRODVISUAL_OBJECT_STORE_URL
export PRODVISUAL_TEST_S3_ENDPOINT=$PRODVISUAL_S3_ENDPOINT
export PRODVISUAL_TEST_SERVER_SECRET=$PRODVISUAL_SERVER_SECRET
unset PRODVISUAL_DATABASE_URL PRODVISUAL_OBJECT_STORE_URL PRODVISUAL_S3_ENDPOINT PRODVISUAL_SERVER_SECRET

# COMMAND runs as a child we wait for, so that a TERM or INT sent to this script reaches it at once
# (bash runs traps only between commands) and the services are stopped when it has ended.
"$@" <&0 &
child=$!
signalled=""
trap 'signalled=TERM; kill -TERM "$child" 2>/dev/null || true' TERM
trap 'signalled=INT; kill -INT "$child" 2>/dev/null || true' INT
while :; do
  signalled=""
  set +e
  wait "$child"
  status=$?
  set -e
  [ -n "$signalled" ] || break
done
exit "$status"
