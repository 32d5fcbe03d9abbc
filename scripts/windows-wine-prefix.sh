#!/usr/bin/env bash
# Prepares the Wine prefix the Windows tests run plugboard-engine.exe in, and prints its path on
# its last line: <target dir>/wine/prefix, created once (about 20 s) and reused.
#
# Wine 8 (Debian 12's) has no bcryptprimitives.dll, whose ProcessPrng Rust's standard library
# calls at start-up. The stand-in in tests/windows/bcryptprimitives.c is built here with mingw
# and put in the prefix's system32, for the tests only: it is never shipped, and never lands
# next to a build of the engine. A Wine that brings its own bcryptprimitives keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
scripts/ensure-system-packages.sh windows
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
wine_dir="$target_dir/wine"
prefix="$wine_dir/prefix"
mkdir -p "$wine_dir"

# Wine's own diagnostics off; no Mono or Gecko installers (the engine needs neither).
export WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$prefix/system.reg" ]; then
  echo "Creating a Wine prefix for the Windows tests (once)" >&2
  wine wineboot --init >/dev/null 2>&1
  wineserver --wait
  [ -f "$prefix/system.reg" ] || { echo "windows-wine-prefix: wineboot did not create $prefix" >&2; exit 1; }
fi

shim="$wine_dir/bcryptprimitives.dll"
source=tests/windows/bcryptprimitives.c
if [ ! -f "$shim" ] || [ "$source" -nt "$shim" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -Werror -o "$shim" "$source" -ladvapi32
fi
installed="$prefix/drive_c/windows/system32/bcryptprimitives.dll"
marker="$wine_dir/bcryptprimitives.installed"
if [ ! -e "$installed" ] || { [ -f "$marker" ] && ! cmp -s "$shim" "$installed"; }; then
  cp "$shim" "$installed"
  touch "$marker"
fi
echo "$prefix"
