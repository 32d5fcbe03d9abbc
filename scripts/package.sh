#!/usr/bin/env bash
# `make package`: the Debian package of the desktop app, with Tauri's bundler (the npm
# @tauri-apps/cli the front end's packages bring). The desktop entry, the icons and the
# description come from src-tauri/tauri.conf.json; the headless plugboard-engine is installed
# alongside the app as /usr/bin/plugboard-engine.
#
#   scripts/package.sh            release build (what users install)
#   scripts/package.sh --debug    bundles the debug build instead (the install test in
#                                 `make test` uses this to keep CI time down)
#
# Prints the path of the .deb on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
if [ "${1:-}" = "--debug" ]; then
  profile=debug
fi
scripts/build-ui.sh
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
cargo_profile=()
[ "$profile" = release ] && cargo_profile=(--release)
cargo build --quiet "${cargo_profile[@]}" -p plugboard-server --bin plugboard-engine
engine="$target_dir/$profile/plugboard-engine"
extra_files=$(printf '{"bundle": {"linux": {"deb": {"files": {"/usr/bin/plugboard-engine": "%s"}}}}}' "$engine")
tauri=ui/node_modules/.bin/tauri
rm -rf "$target_dir/$profile/bundle/deb"
if [ "$profile" = release ]; then
  # A production build: the CLI compiles the app with Tauri's custom-protocol feature.
  "$tauri" build --ci --bundles deb --config "$extra_files" >&2
else
  cargo build --quiet -p plugboard --bin plugboard
  "$tauri" bundle --ci --debug --bundles deb --config "$extra_files" >&2
fi
ls -t "$target_dir/$profile/bundle/deb/"*.deb | head -1
