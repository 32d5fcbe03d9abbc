#!/usr/bin/env bash
# Installs the official Buttplug client libraries that the interop tests (tests/e2e/js.rs,
# tests/e2e/python.rs) drive, and only what is missing or out of date. Quiet when all is present.
#   tests/clients/js/node_modules            npm ci from tests/clients/js/package-lock.json:
#                                            buttplug 0.13.2 / 3.2.2 / 5.0.2 (aliases buttplug-v1/-v3/-v4), ws
#   tests/clients/.cache/python-v4           venv with tests/clients/python/requirements-v4.txt (pip buttplug 1.0.0)
#   tests/clients/.cache/python-legacy       venv with tests/clients/python/requirements-legacy.txt (pip buttplug-py 0.2.0)
#   tests/clients/.cache/python-mdns         venv with tests/clients/python/requirements-mdns.txt (pip zeroconf 0.154.0,
#                                            the mDNS browser of tests/e2e/mdns.rs)
#   tests/clients/.cache/python-lovense      venv with tests/clients/python/requirements-lovense.txt (pip lovensepy
#                                            1.0.4, a Lovense API client for tests/e2e/lovense_clients.rs)
# Each install records the checksum of the file it installed from; a changed file reinstalls.
# Needs node/npm and python3 with venv on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

clients=tests/clients
checksum() { sha256sum "$1" | cut -d' ' -f1; }

need() {
  command -v "$1" >/dev/null || { echo "ensure-client-packages: '$1' not found on PATH ($2)" >&2; exit 1; }
}

# --- npm -----------------------------------------------------------------------------------------
js=$clients/js
js_stamp=$js/node_modules/.plugboard-lock.sha256
if [ ! -f "$js_stamp" ] || [ "$(cat "$js_stamp")" != "$(checksum "$js/package-lock.json")" ]; then
  need npm "Node.js 20 with npm"
  echo "Installing the JavaScript Buttplug clients (npm ci in $js)"
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  checksum "$js/package-lock.json" >"$js_stamp"
fi

# --- Python --------------------------------------------------------------------------------------
venv() {  # venv NAME REQUIREMENTS
  local dir=$clients/.cache/$1 req=$2
  local stamp=$dir/.plugboard-requirements.sha256
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(checksum "$req")" ]; then
    return
  fi
  need python3 "Python 3.9 or newer with the venv module"
  echo "Installing $req into $dir"
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  if ! python3 -m venv "$dir" >/dev/null; then
    echo "ensure-client-packages: 'python3 -m venv' failed (on Debian's own python3: apt-get install python3-venv)" >&2
    exit 1
  fi
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv -r "$req"
  checksum "$req" >"$stamp"
}
venv python-v4 "$clients/python/requirements-v4.txt"
venv python-legacy "$clients/python/requirements-legacy.txt"
venv python-mdns "$clients/python/requirements-mdns.txt"
venv python-lovense "$clients/python/requirements-lovense.txt"
