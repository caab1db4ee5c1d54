#!/usr/bin/env bash
# Runs the Python, Node.js, Go and PHP SDK suites against a real `prodvisual serve`, which each
# suite starts itself on loopback (see sdks/TEST_PLAN.md). The Swift client's suite is part of
# `swift test`. Usage: sdks/test.sh [python] [node] [go] [php]   (all four by default)
set -euo pipefail
cd "$(dirname "$0")/.."

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(python node go php)

# The server the suites start: PRODVISUAL_EXECUTABLE, else the debug or release build.
if [ -z "${PRODVISUAL_EXECUTABLE:-}" ] && [ ! -x .build/debug/prodvisual ] && [ ! -x .build/release/prodvisual ]; then
  swift build --product prodvisual
fi

for suite in "${suites[@]}"; do
  case "$suite" in
    python)
      if ! python3 -c 'import pytest' 2>/dev/null; then
        # Debian's own Python refuses --user installs (PEP 668) unless told otherwise.
        python3 -m pip install --user --quiet pytest 2>/dev/null \
          || python3 -m pip install --user --quiet --break-system-packages pytest
      fi
      ;;
    node) ;;
    go)
      if ! command -v go >/dev/null; then
        echo "go suite: no go command; install Debian's golang-go (scripts/install-deps.sh)" >&2
        exit 2
      fi
      ;;
    php)
      if ! command -v phpunit >/dev/null || ! php -r 'exit(extension_loaded("curl") ? 0 : 1);' 2>/dev/null; then
        echo "php suite: needs php with ext-curl and phpunit; install php-cli php-curl phpunit (scripts/install-deps.sh)" >&2
        exit 2
      fi
      ;;
    *)
      echo "unknown suite '$suite' (python, node, go, php)" >&2
      exit 2
      ;;
  esac
done

run() {
  case "$1" in
    python) cd sdks/python && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=src python3 -m pytest -p no:cacheprovider -q tests ;;
    node) cd sdks/node && node --test --test-reporter=spec test/*.test.js ;;
    # Offline: the module has no dependency, so nothing may be fetched.
    go) cd sdks/go && export GOPROXY=off && go vet ./... \
      && go test -count=1 -timeout 5m -v ./... | sed -u '/^=== \(RUN\|PAUSE\|CONT\)/d' ;;
    php) cd sdks/php && find src tests -name '*.php' | sort | while read -r file; do php -l "$file" >/dev/null || exit 1; done \
      && phpunit --testdox ;;
  esac
}

if [ ${#suites[@]} -eq 1 ]; then
  run "${suites[0]}"
  exit
fi

# Several suites run at once: each waits up to a minute for a rate-limit window to roll, and
# those waits overlap. Each suite's output is printed whole when it ends.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
declare -A pids
for suite in "${suites[@]}"; do
  (SECONDS=0; status=0; run "$suite" || status=$?; echo "($suite: ${SECONDS} s)"; exit $status) >"$logs/$suite.log" 2>&1 &
  pids[$suite]=$!
done
failed=()
for suite in "${suites[@]}"; do
  status=0
  wait "${pids[$suite]}" || status=$?
  echo "== $suite SDK"
  cat "$logs/$suite.log"
  [ $status -eq 0 ] || failed+=("$suite")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "SDK suites failed: ${failed[*]}" >&2
  exit 1
fi
echo "SDK suites passed: ${suites[*]}"
