#!/usr/bin/env bash
# Installs the Debian packages Plugboard needs, and only those that are missing.
# `apt-get update` runs only when something has to be installed; when everything is present
# the script prints nothing. Usage: ensure-system-packages.sh [GROUP...]
#   build  - compile and link the engine crates (libdbus is built from source, statically), and
#            run their tests
#            (dbus-daemon and python3-dbusmock play a fake BlueZ for the BLE tests; iproute2
#            gives them a private network, scripts/with-test-network.sh) (default)
#   app    - also the GTK/WebKit libraries the Tauri desktop app links against, Xvfb, and
#            the tools the package's install test uses (xwininfo, desktop-file-validate)
#   reference - also what the reference server intiface-engine needs to build from source
#            (scripts/build-intiface-engine.sh): cmake for SDL, libudev for serial and HID,
#            libdbus for its Bluetooth
#   windows - also what the Windows build and its tests need: the mingw-w64 cross compiler
#            (links the engine for x86_64-pc-windows-gnu, builds the test-only DLL of
#            tests/windows/) and Wine (64-bit only: runs plugboard-engine.exe in the tests)
set -euo pipefail

build=(build-essential pkg-config mold libssl-dev python3-dbusmock python3-gi dbus iproute2)
app=(libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
     libayatana-appindicator3-dev librsvg2-dev libxdo-dev file
     xvfb xauth webkit2gtk-driver dbus dbus-x11 at-spi2-core x11-utils desktop-file-utils)
reference=(cmake libudev-dev libdbus-1-dev)
windows=(gcc-mingw-w64-x86-64 wine wine64)

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(build)

wanted=()
for group in "${groups[@]}"; do
  case "$group" in
    build) wanted+=("${build[@]}") ;;
    app) wanted+=("${build[@]}" "${app[@]}") ;;
    reference) wanted+=("${build[@]}" "${reference[@]}") ;;
    windows) wanted+=("${build[@]}" "${windows[@]}") ;;
    *) echo "ensure-system-packages: unknown group '$group' (known: build, app, reference, windows)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "ensure-system-packages: missing packages (${missing[*]}) and not root; install them and retry." >&2
    exit 1
  fi
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
