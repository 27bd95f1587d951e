#!/usr/bin/env bash
# Runs fuzz targets one after the other (the machine has few cores; run one at a time).
#   fuzz/run.sh [SECONDS] [TARGET...]       default: 600 s each, every target
# Seed the corpora first (fuzz/seed.sh). Builds with nightly into $CARGO_TARGET_DIR
# (default fuzz/target, away from the stable builds). Logs and crashes go to
# fuzz/artifacts/<target>/.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(collector pretty filter plan reader pii)
fi
for target in "${targets[@]}"; do
    mkdir -p "artifacts/$target" "corpus/$target"
    log="artifacts/$target/run-$(date +%Y%m%d-%H%M%S).log"
    echo "== $target: ${seconds}s, log $log"
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1
    echo "   exit $?; $(grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec' "$log" | tr '\n' ' ')"
    grep -E 'panicked|SUMMARY|Test unit written|ERROR: libFuzzer' "$log" | head -5
done
