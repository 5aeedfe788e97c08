#!/usr/bin/env bash
# README command 1: installs everything the app needs, builds it and starts the desktop app.
# Pass --build-only to stop after the build (the binary path is printed), or --bundle to build
# the installable packages (.deb and AppImage) instead of starting the app.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/helium-aws-bridge/target}"

scripts/setup.sh
scripts/build-ui.sh
if [ "${1:-}" = "--bundle" ]; then
  echo "==> Building the .deb (release)"
  # Tauri's CLI reads tauri.conf.json here and builds the release binary; the UI was just built.
  tauri=(ui/node_modules/.bin/tauri build --ci --config '{"build":{"beforeBuildCommand":""}}')
  "${tauri[@]}" --bundles deb
  echo "==> Building the AppImage"
  # Its bundler downloads AppImage tools from github.com; without them the .deb still stands.
  "${tauri[@]}" --bundles appimage \
    || echo "warning: no AppImage: the bundler could not get its AppImage tools (see above); the .deb is built" >&2
  echo "packages:"
  # Without an AppImage, ls fails on its pattern: what exists is listed all the same.
  ls -1 "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb "$CARGO_TARGET_DIR"/release/bundle/appimage/*.AppImage 2>/dev/null || true
  exit 0
fi
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
