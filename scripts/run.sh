#!/usr/bin/env bash
# `make run`: start the desktop app when it exists and a display is available; otherwise say
# so and start the headless engine.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset): starting the headless engine instead of the window."
else
  echo "The desktop window is not part of this build yet: starting the headless engine instead."
fi
exec cargo run --quiet -p plugboard-server --bin plugboard-engine -- "$@"
