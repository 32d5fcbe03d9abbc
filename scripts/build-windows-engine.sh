#!/usr/bin/env bash
# Builds plugboard-engine for Windows (x86_64-pc-windows-gnu) and prints the path of the .exe on
# its last line. Installs what is missing first, and only that: the mingw-w64 cross compiler and
# Wine (scripts/ensure-system-packages.sh windows) and the Rust standard library for the target
# (`rustup target add`, from the same place rustup installed the toolchain from).
#
#   scripts/build-windows-engine.sh            debug build (what the Windows tests run)
#   scripts/build-windows-engine.sh --release  release build
#   scripts/build-windows-engine.sh --setup    only installs what a Windows build needs
#                                              (scripts/package-windows.sh builds itself)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
target=x86_64-pc-windows-gnu
profile=debug
cargo_profile=()
setup_only=false
case "${1:-}" in
  --release) profile=release; cargo_profile=(--release) ;;
  --setup) setup_only=true ;;
esac

scripts/ensure-system-packages.sh windows
if ! rustup target list --installed | grep -qx "$target"; then
  echo "Installing the Rust standard library for $target (rustup target add)" >&2
  if ! rustup target add "$target" >&2; then
    echo "build-windows-engine: 'rustup target add $target' failed: the toolchain's distribution server could not be reached, or it has no $target component for $(rustc --version). The Windows build needs it." >&2
    exit 1
  fi
fi
$setup_only && exit 0
cargo build --quiet "${cargo_profile[@]}" --target "$target" -p plugboard-server --bin plugboard-engine
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
echo "$target_dir/$target/$profile/plugboard-engine.exe"
