#!/usr/bin/env bash
# The Windows build, cross-built with MinGW and run under Wine: the core's unit tests (the
# control plane over its named pipe among them), then the CLI beside a running `run`, its
# changes going through that pipe. Called by scripts/test.sh; installs what it needs
# (scripts/setup.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/helium-aws-bridge/target}"
target=x86_64-pc-windows-gnu
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || { echo "error: Wine is missing: run scripts/setup.sh --test" >&2; exit 1; }

# A Wine prefix of our own, with the one DLL Wine 8 lacks (see tests/windows/).
export WINEPREFIX="$HOME/.cache/helium-aws-bridge/wine" WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$dll" ] || [ tests/windows/bcryptprimitives.c -nt "$dll" ]; then
  "$wine" cmd /c exit >/dev/null 2>&1 || true  # creates the prefix
  x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" tests/windows/bcryptprimitives.c \
    tests/windows/bcryptprimitives.def -lbcrypt
fi
stop_wine() { /usr/lib/wine/wineserver -k 2>/dev/null || true; }
trap stop_wine EXIT

echo "==> Windows: the core's unit tests under Wine"
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine" \
  cargo test --locked --target $target -p helium-bridge-core --lib

echo "==> Windows: the CLI beside a running bridge, over the named pipe"
cargo build --locked --target $target -p helium-aws-bridge-cli
cli="$CARGO_TARGET_DIR/$target/debug/helium-aws-bridge.exe"
dir=$(mktemp -d)
windir="Z:${dir//\//\\}"
fail() { echo "error: $*" >&2; cat "$dir/run.log" >&2; exit 1; }
"$wine" "$cli" run --data-dir "$windir" > "$dir/run.log" 2>&1 &
run=$!
for _ in $(seq 300); do
  grep -q "bridge running" "$dir/run.log" && break
  kill -0 $run 2>/dev/null || fail "run stopped"
  sleep 0.2
done
grep -q "bridge running" "$dir/run.log" || fail "run did not start within 60 s"
[ -f "$dir/control.pipe" ] || fail "run names no pipe in the data directory"
out=$("$wine" "$cli" label add fleet --data-dir "$windir" 2>&1) || fail "label add failed: $out"
grep -q 'added label "fleet"' <<< "$out" || fail "label add said: $out"
out=$("$wine" "$cli" status --data-dir "$windir" 2>&1) || fail "status failed: $out"
grep -q "in use by: *a running bridge" <<< "$out" || fail "the data directory was not held by run: $out"
out=$("$wine" "$cli" label list --data-dir "$windir" 2>&1) || fail "label list failed: $out"
grep -q "^fleet " <<< "$out" || fail "the label is not listed: $out"
kill $run
wait $run 2>/dev/null || true
rm -rf "$dir"
echo "ok: label add went to the running bridge over its named pipe"
