#!/usr/bin/env bash
# `make differential`: Plugboard against the reference server (intiface-engine), byte for byte,
# for every protocol Plugboard registers (issue 6). Not part of `make test`: it builds the
# reference from source first (long the first time) and takes a few minutes to run.
# Extra arguments go to the differential binary, e.g. `--protocol lovense --gap-ms 300`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

intiface=$(scripts/build-intiface-engine.sh | tail -n1)
cargo build --quiet -p plugboard-server --bin plugboard-engine -p plugboard-e2e --bin differential
target=${CARGO_TARGET_DIR:-target}
exec "$target/debug/differential" --intiface "$intiface" --plugboard "$target/debug/plugboard-engine" "$@"
