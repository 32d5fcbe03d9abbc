#!/usr/bin/env bash
# The Windows installer of the desktop app: plugboard.exe (the Tauri app, cross-built for
# x86_64-pc-windows-gnu with mingw-w64), plugboard-engine.exe beside it, and WebView2Loader.dll
# (the GNU build of the app loads it to find Microsoft's WebView2 runtime), packed by makensis
# from packaging/windows/plugboard.nsi. Installs what is missing first: mingw-w64, Wine, NSIS
# and 7-Zip (scripts/ensure-system-packages.sh windows-package) and the Rust target.
#
# The installer script is ours rather than Tauri's bundler: the npm CLI offers no NSIS bundle
# on Linux, and the bundler's NSIS template needs a plugin DLL it downloads at build time.
#
#   scripts/package-windows.sh            release build, LZMA-compressed (what users install)
#   scripts/package-windows.sh --debug    the debug builds, zlib-compressed (quicker: the
#                                         installer test in `make test` uses this)
#
# Writes <target dir>/x86_64-pc-windows-gnu/<profile>/bundle/nsis/Plugboard_<version>_x64-setup.exe,
# with the files it packed in files/ beside it, and prints the installer's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
target=x86_64-pc-windows-gnu
profile=release
cargo_flags=(--release --features tauri/custom-protocol)
compressor=lzma
if [ "${1:-}" = "--debug" ]; then
  profile=debug
  cargo_flags=()
  compressor=zlib
fi

scripts/ensure-system-packages.sh windows-package
scripts/build-ui.sh
# The Rust target, when it is missing.
scripts/build-windows-engine.sh --setup
# The app and the engine in one cargo run, so that the crates they share are compiled once,
# with the features of both. In release, Tauri's custom-protocol feature makes the production
# build (what `tauri build` passes; the Tauri CLI itself offers no NSIS bundle on Linux).
# tauri-build reads src-tauri/tauri.windows.conf.json, which names the .ico.
cargo build --quiet "${cargo_flags[@]}" --target "$target" -p plugboard -p plugboard-server \
  --bin plugboard --bin plugboard-engine

metadata=$(cargo metadata --format-version 1 --no-deps)
target_dir=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' <<<"$metadata")
version=$(python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "plugboard"))' <<<"$metadata")
build_dir="$target_dir/$target/$profile"
out_dir="$build_dir/bundle/nsis"
files="$out_dir/files"
rm -rf "$out_dir"
mkdir -p "$files"
# tauri-build copies WebView2Loader.dll (from the webview2-com-sys crate) next to the app.
for file in "$build_dir/plugboard.exe" "$build_dir/plugboard-engine.exe" "$build_dir/WebView2Loader.dll"; do
  [ -f "$file" ] || { echo "package-windows: $file was not built" >&2; exit 1; }
  cp "$file" "$files/"
done

installer="$out_dir/Plugboard_${version}_x64-setup.exe"
# -WX: a warning (a missing file, an unused string) fails the build.
makensis -V2 -WX -INPUTCHARSET UTF8 \
  "-DVERSION=$version" "-DSTAGE=$files" "-DICON=$PWD/icons/icon.ico" \
  "-DOUTFILE=$installer" "-DCOMPRESSOR=$compressor" \
  packaging/windows/plugboard.nsi >&2
echo "$installer"
