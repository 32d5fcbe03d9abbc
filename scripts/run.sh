#!/usr/bin/env bash
# `make run`: build the front end (ui/) and start the desktop app when a display is
# available; otherwise say so and start the headless engine.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset): starting the headless engine instead of the window."
  exec cargo run --quiet -p plugboard-server --bin plugboard-engine -- "$@"
fi
if ! command -v npm >/dev/null; then
  echo "npm is needed to build the front end (ui/); install Node.js 20.19+ or 22.12+ and retry." >&2
  exit 1
fi
scripts/build-ui.sh
# The single-instance check uses the D-Bus session bus: give the app one if there is none.
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ ! -S "/run/user/$(id -u)/bus" ] && command -v dbus-run-session >/dev/null; then
  exec dbus-run-session -- cargo run --quiet -p plugboard --bin plugboard -- "$@"
fi
exec cargo run --quiet -p plugboard --bin plugboard -- "$@"
