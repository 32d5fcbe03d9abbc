#!/usr/bin/env bash
# `make test`: every test of the workspace, the front end's unit tests, the app window's
# end-to-end test (WebDriver, under Xvfb and a private D-Bus session), and the Windows build of
# the engine under Wine (scripts/test-windows.sh). Prints each phase's time.
# Runs as root (as CI does): some tests need it, and the private network namespace too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
phase() { local name=$1; shift; local t0=$SECONDS; echo "=== $name"; "$@"; echo "=== $name: $((SECONDS - t0)) s"; }
phase "client packages" scripts/ensure-client-packages.sh
phase "tools" scripts/ensure-tools.sh
# The app embeds ui/dist, so the front end is built before anything compiles the app.
phase "front end: build and unit tests" scripts/build-ui.sh --test
# Formatting and lints first: they fail in seconds where a test run takes minutes.
phase "format and lints" bash -c 'scripts/check-citations.sh && cargo fmt --all --check && cargo fmt --manifest-path bench/Cargo.toml --all --check && cargo clippy --workspace --all-targets --quiet -- -D warnings'
# No crate has modules that need each other in a cycle (tools/module-graph; its own profile, as
# the parse is slow unoptimised). Excluded from the workspace's test run below, which would
# repeat it.
phase "module cycles" cargo test --quiet --profile module-graph -p plugboard-module-graph
# The fault tests run the headless engine's binary (killed with SIGKILL and restarted).
phase "build tests and the app" bash -c 'cargo test --workspace --exclude plugboard-module-graph --no-run --quiet && cargo build --quiet -p plugboard -p plugboard-server --bins'
# In a private network namespace with an address besides loopback, so the tests of clients from
# other machines run on any machine (scripts/with-test-network.sh). The tests' desktop is an X11
# one (Xvfb): a Wayland session of the person running them must not leak in, or the app's STOP
# shortcut would ask that desktop's portal (tests that want Wayland say so themselves).
phase "run tests" env -u WAYLAND_DISPLAY XDG_SESSION_TYPE=x11 scripts/with-test-network.sh \
  dbus-run-session -- xvfb-run -a -s '-screen 0 1280x800x24' cargo test --workspace --exclude plugboard-module-graph --quiet
# Tests that need root are #[ignore]d in a plain `cargo test`; they live in `as_root` modules.
phase "run tests that need root" cargo test --workspace --exclude plugboard-module-graph --quiet -- --ignored as_root::
# plugboard-engine.exe cross-built and tested under Wine (each of its steps prints its own time).
phase "Windows: engine under Wine" scripts/test-windows.sh
phase "package: build, install, start, remove" scripts/test-package.sh
