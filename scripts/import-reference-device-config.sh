#!/usr/bin/env bash
# Regenerates device-config/plugboard-devices.json from the reference device database, the
# file build-config/buttplug-device-config-v5.json of the published crate
# buttplug_server_device_config (12.x). A scratch crate outside the checkout depends on it and
# `cargo fetch` brings its source into cargo's cache; Plugboard itself never depends on it.
#
#   scripts/import-reference-device-config.sh [VERSION]    (default: the newest 12.x)
#
# Prints the coverage summary that device-config/README.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-12}"
scratch="${PLUGBOARD_REFERENCE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/plugboard-reference}/device-config-fetch"
mkdir -p "$scratch/src"
cat > "$scratch/Cargo.toml" <<TOML
[package]
name = "device-config-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
buttplug_server_device_config = "$version"

[workspace]
TOML
echo 'fn main() {}' > "$scratch/src/main.rs"
rm -f "$scratch/Cargo.lock"
cargo fetch --quiet --manifest-path "$scratch/Cargo.toml"
source_dir=$(cargo metadata --format-version 1 --manifest-path "$scratch/Cargo.toml" |
    python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="buttplug_server_device_config"))')
reference="$source_dir/build-config/buttplug-device-config-v5.json"
echo "reference: $(basename "$source_dir")/build-config/$(basename "$reference")" >&2
cargo run --quiet -p plugboard-devices --example import_reference_database -- \
    "$reference" device-config/plugboard-devices.json
