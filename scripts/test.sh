#!/usr/bin/env bash
# README command 2: installs what the tests need, then runs them all: Vitest (UI), the moto
# launcher's self-check, the Windows build under Wine, the Rust lints, and every Rust test
# (core, CLI, harness smoke tests, GUI end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/helium-aws-bridge/target}"
export HELIUM_VENV="${HELIUM_VENV:-$HOME/.cache/helium-aws-bridge/venv}"

scripts/setup.sh --test

echo "==> UI: type-check, build, unit tests"
scripts/build-ui.sh
npm --prefix ui test

echo "==> moto launcher self-check"
"$HELIUM_VENV/bin/python" tests/harness/test_moto_server.py

echo "==> Windows build (MinGW, under Wine)"
scripts/test-windows.sh

echo "==> Rust lint: formatting, clippy (warnings fail)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> Rust tests"
# The GUI tests launch the desktop binary, which cargo builds for the root package's tests.
cargo nextest run --workspace --locked --no-fail-fast "$@"
