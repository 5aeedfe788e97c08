#!/usr/bin/env bash
# Checks the .deb as a new user meets it: a fresh Debian (bookworm) root made with debootstrap,
# `apt install ./helium-aws-bridge….deb` in it, then the installed app started from its desktop
# entry's Exec line under Xvfb. It passes once the app has opened its data directory and
# serves its control socket (the bridge is up), and fails with the app's output otherwise.
#
#   scripts/check-deb.sh [path/to/package.deb]   (default: the one scripts/app.sh --bundle built)
#
# Needs root (debootstrap and chroot) and a network to download Debian packages. The root is
# made afresh under a temporary directory each run and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: it builds a Debian root with debootstrap and chroots into it"
target="${CARGO_TARGET_DIR:-$HOME/.cache/helium-aws-bridge/target}"
deb="${1:-$(ls -1t "$target"/release/bundle/deb/*.deb 2>/dev/null | head -1)}"
[ -n "$deb" ] && [ -f "$deb" ] || die "no .deb found: build it with scripts/app.sh --bundle, or give its path"

if ! command -v debootstrap >/dev/null; then
  say "Installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends debootstrap
fi

root=$(mktemp -d /tmp/check-deb.XXXXXX)
mounted=()
cleanup() {
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT

say "Making a fresh Debian bookworm root in $root"
debootstrap --variant=minbase bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
for m in proc sys dev dev/pts; do
  mount --bind "/$m" "$root/$m"
  mounted=("$root/$m" "${mounted[@]}")
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Under a plain name: the bundle's file name has spaces.
cp "$deb" "$root/tmp/helium-aws-bridge.deb"
pkg=/tmp/helium-aws-bridge.deb

say "apt install ./$(basename "$deb") (with what it depends on)"
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "$pkg" xvfb xauth dbus-x11 >/dev/null

entry=$(chroot "$root" sh -c 'ls /usr/share/applications/*.desktop' | head -1)
[ -n "$entry" ] || die "the package installed no desktop entry"
exec_line=$(chroot "$root" sed -n 's/^Exec=//p' "$entry" | head -1 | sed 's/ %[fFuU]//g')
[ -n "$exec_line" ] || die "$entry has no Exec line"
say "Starting it from $entry: $exec_line"

data=/tmp/check-data
log="$root/tmp/app.log"
# A private session bus and display; secrets go to a credentials file (no keychain in a chroot).
chroot "$root" /usr/bin/env HOME=/root HELIUM_AWS_BRIDGE_SECRETS_FILE=/root/secrets.json \
  xvfb-run -a dbus-run-session -- $exec_line --data-dir "$data" >"$log" 2>&1 &
app=$!

# Up once the data dir's control socket exists (the app opened its data and started the bridge).
for _ in $(seq 1 600); do
  [ -S "$root$data/control.sock" ] && break
  kill -0 "$app" 2>/dev/null || { cat "$log" >&2; die "the installed app exited before it was up"; }
  sleep 0.1
done
[ -S "$root$data/control.sock" ] || { cat "$log" >&2; die "the installed app was not up within 60 s"; }
say "The installed app is up: $(basename "$deb") installs and starts on a fresh Debian"
pkill -TERM -f -- "--data-dir $data" || true
wait "$app" 2>/dev/null || true
