#!/usr/bin/env bash
# `make bench`: the benchmark suite of issue 7 (bench/README.md). Builds Plugboard's engine in
# release mode, intiface-engine from its published source (scripts/build-intiface-engine.sh,
# once), and the bench workspace (bench/, its own Cargo.lock: `make test` never builds it),
# then runs plugboard-bench. Extra arguments go to plugboard-bench, e.g. `--pairs 1 --quick`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

scripts/ensure-system-packages.sh build
intiface=$(scripts/build-intiface-engine.sh | tail -n1)
# One target dir for both workspaces: their packages have different names, so nothing clashes.
target=${CARGO_TARGET_DIR:-$PWD/target}
export CARGO_TARGET_DIR=$target
echo "bench: building plugboard-engine (release)" >&2
cargo build --quiet --release -p plugboard-server --bin plugboard-engine
echo "bench: building plugboard-bench and floor-relay (release)" >&2
cargo build --quiet --release --manifest-path bench/Cargo.toml
exec "$target/release/plugboard-bench" \
  --plugboard "$target/release/plugboard-engine" \
  --intiface "$intiface" \
  --floor "$target/release/floor-relay" \
  "$@"
