#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Builds the libFuzzer targets (test/fuzz, clang) and runs each for
# FUZZ_SECONDS (default 30), two or three at a time; fails on any crash, leak or
# sanitizer report. Installs clang when missing (Debian 12, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install_missing.sh
install_missing fuzz clang libclang-rt-14-dev
build=${FUZZ_BUILD_DIR:-build-fuzz}
cmake -S test/fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache || true)" >/dev/null
cmake --build "$build" -j"$(nproc)"
seconds=${FUZZ_SECONDS:-30}
run() {  # run TARGET: its corpus grows in $build/corpus/TARGET; the log is printed on failure
    local t=$1
    mkdir -p "$build/corpus/$t"
    if "$build/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/fuzz_$t-" "$build/corpus/$t" >"$build/fuzz_$t.log" 2>&1; then
        echo "fuzz: $t clean: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz_$t.log" | awk '{print $2}') runs in ${seconds} s"
    else
        tail -40 "$build/fuzz_$t.log"
        echo "fuzz: $t FAILED (artifact: $(ls "$build"/fuzz_"$t"-* 2>/dev/null | head -1))"
        return 1
    fi
}
status=0
run webhook & a=$!; run task & b=$!
wait $a || status=1; wait $b || status=1
# The scrubber's target is small and quick: a third process beside the last two.
run multipart & a=$!; run journal & b=$!; run scrub & c=$!
wait $a || status=1; wait $b || status=1; wait $c || status=1
exit $status
