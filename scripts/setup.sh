#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine: the system
# packages (Chromium for browser tests, clang + lld for the Wasm kernel), then
# the package itself in editable mode, which runs the JS build.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v clang >/dev/null || need+=(clang)
command -v wasm-ld >/dev/null || need+=(lld)
if ((${#need[@]})); then
  echo "setup: installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" fonts-liberation
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]"
