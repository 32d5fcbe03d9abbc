#!/usr/bin/env bash
# Builds the reference server, intiface-engine, from its published crate source, for
# comparisons with Plugboard (the differential check, performance baselines).
#
#   scripts/build-intiface-engine.sh      # prints the binary's path on the last line
#
# The version is the newest published intiface-engine built on buttplug_server 12 (spec v4).
# Its source is unpacked outside the checkout, into
#   $PLUGBOARD_REFERENCE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/plugboard-reference)
# and built there in release mode with the Cargo.lock it was published with. A second run
# reuses the build and only prints the path (PLUGBOARD_REFERENCE_REBUILD=1 forces cargo to
# look again).
#
# One patch: the crate's build script runs vergen (git SHA and build time for --version),
# whose locked version needs a newer Rust than stable has; it is dropped, and the two values
# it provided are passed as environment variables instead (the SHA is the crate's published
# commit, the time the moment the source was unpacked, so rebuilds stay reproducible).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

version=5.0.5
name=intiface-engine
root=${PLUGBOARD_REFERENCE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/plugboard-reference}
src=$root/$name-$version
target=$src/target
binary=$target/release/$name
log() { echo "build-intiface-engine: $*" >&2; }

if [ -x "$binary" ] && [ -f "$src/.plugboard-patched" ] && [ -z "${PLUGBOARD_REFERENCE_REBUILD:-}" ]; then
  log "$name $version already built"
  echo "$binary"
  exit 0
fi

# cmake (SDL, which the gamepad manager builds from source) and libudev (serial, HID).
scripts/ensure-system-packages.sh reference
mkdir -p "$root"

if [ ! -f "$src/.plugboard-patched" ]; then
  # cargo is the registry client: a scratch package that depends on the exact version makes
  # `cargo fetch` download the .crate into cargo's cache, from where it is unpacked.
  fetch=$root/fetch-$version
  mkdir -p "$fetch/src"
  cat >"$fetch/Cargo.toml" <<EOF
[package]
name = "plugboard-reference-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$name = "=$version"

[workspace]
EOF
  : >"$fetch/src/lib.rs"
  log "fetching $name $version"
  (cd "$fetch" && cargo fetch --quiet --target "$(rustc -vV | sed -n 's/^host: //p')")
  crate=$(ls -t "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$name-$version.crate" 2>/dev/null | head -n1)
  [ -n "$crate" ] || { log "cargo fetch did not leave $name-$version.crate in cargo's cache"; exit 1; }

  rm -rf "$src"
  tar -xzf "$crate" -C "$root"
  # Drop the build script and its build dependencies (vergen-gitcl, anyhow).
  sed -i 's/^build = "build.rs"$/build = false/' "$src/Cargo.toml"
  sed -i '/^\[build-dependencies\./,/^$/d' "$src/Cargo.toml"
  grep -q '^build = false$' "$src/Cargo.toml" && ! grep -q 'vergen' "$src/Cargo.toml" \
    || { log "the manifest of $name $version did not look as expected; patch failed"; exit 1; }
  sha=$(sed -n 's/.*"sha1": *"\([0-9a-f]\{7\}\).*/\1/p' "$src/.cargo_vcs_info.json")
  printf 'VERGEN_GIT_SHA_SHORT=%s\nVERGEN_BUILD_TIMESTAMP=%s\n' "${sha:-unknown}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    >"$src/.plugboard-patched"
fi

set -a
# shellcheck disable=SC1091
. "$src/.plugboard-patched"
set +a
log "building $name $version in $src (release; the first build takes a while)"
t0=$SECONDS
(cd "$src" && CARGO_TARGET_DIR="$target" cargo build --release --quiet --bin "$name")
log "built in $((SECONDS - t0)) s"
echo "$binary"
