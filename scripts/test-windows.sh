#!/usr/bin/env bash
# The Windows phase: builds plugboard-engine.exe (x86_64-pc-windows-gnu), prepares a Wine
# prefix, and runs the end-to-end tests of tests/e2e/windows.rs against the .exe under Wine:
# the official clients of every spec version, virtual devices, a simulated toy on the device
# websocket, Ctrl+C, and the user config in %APPDATA% across a restart. Prints each phase's time.
#
#   scripts/test-windows.sh          everything, and clippy over the Windows code (`make test-windows`)
#   scripts/test-windows.sh --smoke  the official clients only
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
phase() { local name=$1; shift; local t0=$SECONDS; echo "=== $name"; "$@"; echo "=== $name: $((SECONDS - t0)) s"; }
filter="windows::"
smoke=false
if [ "${1:-}" = "--smoke" ]; then
  filter="windows::clients::"
  smoke=true
fi

t0=$SECONDS
echo "=== Windows: cross-build plugboard-engine.exe"
exe=$(scripts/build-windows-engine.sh | tail -1)
echo "=== Windows: cross-build plugboard-engine.exe: $((SECONDS - t0)) s"
t0=$SECONDS
echo "=== Windows: Wine prefix"
prefix=$(scripts/windows-wine-prefix.sh | tail -1)
echo "=== Windows: Wine prefix: $((SECONDS - t0)) s"

export PLUGBOARD_WINDOWS_ENGINE="$exe" WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# One wineserver for the whole run (each engine start then takes about a second, not several),
# ended when the run ends.
wineserver --persistent >/dev/null 2>&1
trap 'wineserver --kill >/dev/null 2>&1 || true' EXIT
# Lints of the code behind cfg(windows), which the Linux lints never see.
$smoke || phase "Windows: lints (x86_64-pc-windows-gnu)" \
  cargo clippy --quiet --target x86_64-pc-windows-gnu -p plugboard-devices -p plugboard-server -- -D warnings
# --workspace: the features every member asks for, as scripts/test.sh builds the tests, so the
# test binary it built is reused rather than rebuilt with fewer features.
phase "Windows: build the tests" cargo test --quiet --workspace --test e2e --no-run
phase "Windows: tests under Wine ($filter)" cargo test --quiet --workspace --test e2e -- --ignored "$filter"
