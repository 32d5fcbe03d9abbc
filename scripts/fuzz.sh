#!/usr/bin/env bash
# Fuzzes the frame decoder, the Lovense API's request reader and the config loaders
# (cargo-fuzz, libFuzzer), then minimises the corpus kept in the repository (fuzz/corpus/<target>/). `make test` replays that corpus; this
# script grows it. See fuzz/README.md.
#
#   scripts/fuzz.sh [SECONDS | --runs N] [TARGET ...]
#
# SECONDS (default 60) or N executions per target; the targets default to all four. The
# long form of the hardening issue is `scripts/fuzz.sh --runs 10000000`.
# A crash stops the script: the input is in fuzz/artifacts/<target>/ (shrink it with
# `cargo +nightly fuzz tmin -s none -a <target> <file>`, fix the bug, and copy the input into
# fuzz/regressions/<target>/, which the replay test reads and minimising never touches).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

limit=(-max_total_time=60)
case "${1:-}" in
    --runs) limit=(-runs="${2:?--runs needs a number}"); shift 2 ;;
    '' | -*) ;;
    *) limit=(-max_total_time="$1"); shift ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame_decode device_config user_config lovense_request)

# cargo-fuzz needs a nightly toolchain to build the instrumented targets (cargo-fuzz itself
# builds on stable).
if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz.sh: no nightly toolchain; install one with: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "=== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# No sanitizer: the crates are safe Rust, and the runs go faster without one.
# Debug assertions (-a) turn on overflow checks, so an arithmetic overflow is a crash.
build_flags=(-s none -a)
# Inputs up to 4 KiB (the seeds are cut to that size); a single input taking over 10 s is a
# bug (a hang) like a panic is.
fuzz_flags=(-dict=fuzz/json.dict -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
summary=()
for target in "${targets[@]}"; do
    echo "=== $target: ${limit[*]}"
    mkdir -p "fuzz/corpus/$target"
    # Inputs that once crashed a target start every run too; new inputs go to the corpus only.
    corpora=("fuzz/corpus/$target")
    [ -d "fuzz/regressions/$target" ] && corpora+=("fuzz/regressions/$target")
    t0=$SECONDS
    set +e
    cargo +nightly fuzz run "${build_flags[@]}" "$target" "${corpora[@]}" -- "${fuzz_flags[@]}" "${limit[@]}" 2>&1 |
        tee "$log" |
        grep --line-buffered -E '^#[0-9]+[[:space:]]+(INITED|pulse|DONE)|^(==|SUMMARY|thread|Done)|panicked|artifact'
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -ne 0 ] || grep -q 'Test unit written to' "$log"; then
        grep -A4 'panicked at' "$log" >&2 || true
        echo "=== $target: CRASH (see above and fuzz/artifacts/$target/)" >&2
        exit 1
    fi
    seconds=$((SECONDS - t0))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    # Minimised by edges reached, not by hit counts: every edge any input reached is kept, in
    # a fraction of the files (the next run regrows the rest from them).
    echo "=== $target: minimising the corpus"
    cargo +nightly fuzz cmin "${build_flags[@]}" "$target" -- -max_len=4096 -timeout=10 -use_counters=0 >"$log" 2>&1 ||
        { cat "$log" >&2; exit 1; }
    files=$(find "fuzz/corpus/$target" -type f | wc -l)
    bytes=$(find "fuzz/corpus/$target" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    summary+=("$target: $runs executions in $seconds s ($rate exec/s); corpus $files files, $bytes bytes")
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
