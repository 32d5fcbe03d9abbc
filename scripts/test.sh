#!/usr/bin/env bash
# `make test`: every test of the workspace. Prints the time each phase took.
set -euo pipefail
cd "$(dirname "$0")/.."
phase() { local name=$1; shift; local t0=$SECONDS; echo "=== $name"; "$@"; echo "=== $name: $((SECONDS - t0)) s"; }
phase "client packages" scripts/ensure-client-packages.sh
phase "build tests" cargo test --workspace --no-run --quiet
phase "run tests" cargo test --workspace --quiet
