#!/usr/bin/env bash
# README command 1: installs everything the app needs, builds it and starts the desktop app.
# Pass --build-only to stop after the build (the binary path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/helium-aws-bridge/target}"

scripts/setup.sh
scripts/build-ui.sh
echo "==> Building the desktop app and the headless CLI (release)"
cargo build --release --locked -p helium-aws-bridge-desktop -p helium-aws-bridge-cli
app="$CARGO_TARGET_DIR/release/helium-aws-bridge-desktop"
echo "desktop app: $app"
echo "headless:    $CARGO_TARGET_DIR/release/helium-aws-bridge"
[ "${1:-}" = "--build-only" ] && exit 0
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "error: no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); on a server use the headless CLI above" >&2
  exit 1
fi
exec "$app" "$@"
