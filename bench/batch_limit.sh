#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Batches against an account limit, through the CLI and a standalone emulator
# process (issue 9): throughput against limit ÷ task time, every job's task
# created once, nothing lost to back-pressure, resume after SIGKILL.
#   bench/batch_limit.sh [scenario ...]   (env: BUILD_DIR=build LIMIT=5 RUN_MS=2000 JOBS=100)
# Scenarios: default concurrency100 two_processes consumer kills (all without arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=$(realpath "${BUILD_DIR:-build}/runninghub")
limit=${LIMIT:-5} run_ms=${RUN_MS:-2000} jobs=${JOBS:-100}
dir=$(mktemp -d)
emu=
trap '[ -z "$emu" ] || kill $emu 2>/dev/null; rm -rf "$dir"' EXIT

# start_emulator LIMIT RUN_MS [OVER_LIMIT_CODE]: a fresh emulator (its own task counter).
start_emulator() {
    rm -f "$dir/url"
    "$cli" emulator --concurrency-limit "$1" --run-ms "$2" --over-limit-code "${3:-421}" \
        --ca-out "$dir/ca.pem" --url-out "$dir/url" >"$dir/emulator.log" 2>&1 &
    emu=$!
    for _ in $(seq 200); do [ -s "$dir/url" ] && break; sleep 0.05; done
    export RUNNINGHUB_API_KEY=0123456789abcdef0123456789abcdef RUNNINGHUB_BASE_URL=$(cat "$dir/url") \
           RUNNINGHUB_CA_FILE="$dir/ca.pem"
}
# stop_emulator: prints the number of tasks it created.
stop_emulator() {  # (called in $(…): a subshell cannot `wait` for the emulator, so it watches its pid)
    kill -INT $emu || true
    while kill -0 $emu 2>/dev/null; do sleep 0.05; done
    awk '/^emulator:/ {print $(NF-1)}' "$dir/emulator.log"
}
# jobs_file FILE N PREFIX: N jobs with distinct prompts.
jobs_file() {
    for i in $(seq "$2"); do
        printf '{"id":"%s-%d","app":"1877265245566922753","nodeInfoList":[{"nodeId":"9","fieldName":"text","fieldValue":"%s prompt %d"}]}\n' \
            "$3" "$i" "$3" "$i"
    done >"$1"
}
# count FILE STATUS: result lines with that status.
count() { grep -c "\"status\":\"$2\"" "$1" || true; }
now() { date +%s.%N; }

# batch_run NAME [batch flags]: one batch of $jobs jobs; prints its line of the table.
batch_run() {
    local name=$1; shift
    start_emulator "$limit" "$run_ms"
    jobs_file "$dir/$name.jsonl" "$jobs" "$name"
    local t0 t1 rc=0
    t0=$(now)
    "$cli" batch --jobs "$dir/$name.jsonl" --out "$dir/$name.out" "$@" >"$dir/$name.log" 2>&1 || rc=$?
    t1=$(now)
    local created ok
    created=$(stop_emulator)
    emu=
    ok=$(count "$dir/$name.out" SUCCESS)
    awk -v n="$name" -v j="$jobs" -v ok="$ok" -v c="$created" -v rc="$rc" -v t0="$t0" -v t1="$t1" -v l="$limit" \
        -v d="$run_ms" 'BEGIN { s = t1 - t0; ideal = j * (d / 1000) / l;
        printf "%-18s exit %d, %d/%d succeeded, %d tasks created, %.1f s (ideal %.1f s): %.0f%% of limit/duration\n",
               n, rc, ok, j, c, s, ideal, 100 * ideal / s }'
}

two_processes() {
    start_emulator "$limit" "$run_ms"
    local half=$((jobs / 2)) rc1=0 rc2=0 t0 t1
    jobs_file "$dir/p1.jsonl" "$half" p1
    jobs_file "$dir/p2.jsonl" "$half" p2
    t0=$(now)
    "$cli" batch --jobs "$dir/p1.jsonl" --out "$dir/p1.out" >"$dir/p1.log" 2>&1 &
    local a=$!
    "$cli" batch --jobs "$dir/p2.jsonl" --out "$dir/p2.out" >"$dir/p2.log" 2>&1 || rc2=$?
    wait $a || rc1=$?
    t1=$(now)
    local created
    created=$(stop_emulator)
    emu=
    awk -v rc1="$rc1" -v rc2="$rc2" -v ok1="$(count "$dir/p1.out" SUCCESS)" -v ok2="$(count "$dir/p2.out" SUCCESS)" \
        -v h="$half" -v c="$created" -v t0="$t0" -v t1="$t1" -v l="$limit" -v d="$run_ms" 'BEGIN {
        s = t1 - t0; ideal = 2 * h * (d / 1000) / l;
        printf "%-18s exits %d and %d, %d/%d and %d/%d succeeded, %d tasks created, %.1f s (ideal %.1f s): %.0f%%\n",
               "two_processes", rc1, rc2, ok1, h, ok2, h, c, s, ideal, 100 * ideal / s }'
}

consumer() {
    # A consumer key: one task at a time, a second one refused with 804 on create.
    local saved=$limit n=20 rc=0 t0 t1
    start_emulator 1 "$run_ms" 804
    jobs_file "$dir/consumer.jsonl" $n consumer
    t0=$(now)
    "$cli" batch --jobs "$dir/consumer.jsonl" --out "$dir/consumer.out" >"$dir/consumer.log" 2>&1 || rc=$?
    t1=$(now)
    local created
    created=$(stop_emulator)
    emu=
    awk -v rc="$rc" -v ok="$(count "$dir/consumer.out" SUCCESS)" -v n=$n -v c="$created" -v t0="$t0" -v t1="$t1" \
        -v d="$run_ms" 'BEGIN { s = t1 - t0; ideal = n * d / 1000;
        printf "%-18s exit %d, %d/%d succeeded, %d tasks created, %.1f s (ideal %.1f s): %.0f%%\n",
               "consumer (804)", rc, ok, n, c, s, ideal, 100 * ideal / s }'
    limit=$saved
}

kills() {
    # 200 jobs with downloads, SIGKILL at 5 random moments, then run to the end.
    local n=200 run=500 rc=0
    start_emulator "$limit" $run
    jobs_file "$dir/kills.jsonl" $n kills
    local cmd=("$cli" batch --jobs "$dir/kills.jsonl" --out "$dir/kills.out" --download "$dir/kills-files")
    for k in 1 2 3 4 5; do
        "${cmd[@]}" >"$dir/kills.$k.log" 2>&1 &
        local p=$!
        sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.5 + 3 * r / 32768 }')"
        kill -KILL $p 2>/dev/null || true
        wait $p 2>/dev/null || true
    done
    "${cmd[@]}" >"$dir/kills.final.log" 2>&1 || rc=$?
    local created files lines distinct
    created=$(stop_emulator)
    emu=
    lines=$(wc -l <"$dir/kills.out")
    distinct=$(grep -o '"taskId":"[0-9]*"' "$dir/kills.out" | sort -u | wc -l)
    files=$(ls "$dir/kills-files" | wc -l)
    local ok
    ok=$(count "$dir/kills.out" SUCCESS)
    # Each downloaded file was verified (MD5) before it got its name; a second
    # download of one file would show as a second GET of it at the emulator.
    echo "kills (5 SIGKILLs)  exit $rc, $ok/$n succeeded, $lines result lines, $distinct distinct task ids," \
         "$created tasks created, $files files"
}

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(default concurrency100 two_processes consumer kills)
echo "== batches against an account limit of $limit, tasks of $run_ms ms, $jobs jobs"
for s in "${scenarios[@]}"; do
    case $s in
    default) batch_run default ;;
    concurrency100) batch_run concurrency100 --concurrency 100 ;;
    two_processes) two_processes ;;
    consumer) consumer ;;
    kills) kills ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
    esac
done
