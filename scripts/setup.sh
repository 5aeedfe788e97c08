#!/usr/bin/env bash
# Installs what the app needs to build and run (and, with --test, what its tests need):
# Debian packages, the UI's npm packages, and for tests the Python venv with moto,
# tauri-driver and cargo-nextest. Idempotent: a second run only checks and exits.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

app_pkgs=(build-essential pkg-config curl file libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev dbus gnome-keyring)
test_pkgs=(mosquitto dbus-x11 xvfb xauth webkit2gtk-driver keyutils python3-venv openssl
  gcc-mingw-w64-x86-64 nasm wine64)
pkgs=("${app_pkgs[@]}")
[ $want_tests = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -q
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || die "Rust is not installed: install it with rustup (https://rustup.rs), then run this again"
command -v node >/dev/null || die "Node.js 20.19+ is not installed: install it (e.g. from your distribution or nodejs.org), then run this again"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old: the UI build (Vite 8) needs 20.19 or newer"

# npm packages, reinstalled only when the lockfile changed.
lock_sum=$(sha256sum ui/package-lock.json | cut -d' ' -f1)
if [ "$(cat ui/node_modules/.lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  say "Installing the UI's npm packages (npm ci)"
  npm ci --prefix ui --no-audit --no-fund
  echo "$lock_sum" > ui/node_modules/.lock-sum
fi

[ $want_tests = 1 ] || exit 0

# Python venv with moto (the AWS IoT control-plane stand-in), rebuilt when requirements change.
venv="${HELIUM_VENV:-$HOME/.cache/helium-aws-bridge/venv}"
req_sum=$(sha256sum tests/harness/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$venv/.req-sum" 2>/dev/null)" != "$req_sum" ]; then
  say "Creating the test venv in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r tests/harness/requirements.txt
  echo "$req_sum" > "$venv/.req-sum"
fi

# The lint step (formatting and clippy) of scripts/test.sh.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    command -v rustup >/dev/null || die "the lint step needs rustup to add the $component component"
    say "Adding the Rust component $component"
    rustup component add "$component"
  fi
done

# The Windows build is cross-compiled and its tests run under Wine (scripts/test-windows.sh).
if ! rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu; then
  command -v rustup >/dev/null || die "the Windows tests need rustup to add the x86_64-pc-windows-gnu target"
  say "Adding the Rust target x86_64-pc-windows-gnu"
  rustup target add x86_64-pc-windows-gnu
fi

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ ! -x "$cargo_bin/tauri-driver" ]; then
  say "Installing tauri-driver"
  cargo install tauri-driver --locked
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  say "Installing cargo-nextest"
  cargo install cargo-nextest --locked
fi
