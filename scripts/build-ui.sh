#!/usr/bin/env bash
# Builds the desktop app's front end into ui/dist (embedded in the app binary), installing
# its npm packages first when they are missing or package-lock.json changed. Quiet when
# nothing changed. With --test, also runs the front end's unit tests.
set -euo pipefail
cd "$(dirname "$0")/../ui"

stamp=node_modules/.plugboard-lock.sha256
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "Installing the front end's npm packages (npm ci in ui/)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" >"$stamp"
fi

# Rebuild when any source is newer than the last build.
if [ ! -f dist/index.html ] || [ -n "$(find src index.html package.json vite.config.* tsconfig*.json -newer dist/index.html 2>/dev/null | head -1)" ]; then
  npm run --silent build >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  npm test --silent
fi
