#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The library on the side-by-side HTTPS table of ../shared/bench-peers (issue 12): wrk, the naive Beast
# loop and runninghub-cpp (default and single_threaded), the library built from this checkout and
# consumed through find_package from an install prefix.
#   bench/peers.sh [table]   interleaved reps (REPS=9), prints client CPU per request ÷ wrk and ÷ naive Beast
#   bench/peers.sh callgrind user-space instructions and simulated cache misses per request (callgrind,
#                            two N, difference; 32 KB I1/D1, a 512 KB 8-way last level like this EPYC's L2)
#   bench/peers.sh allocs    allocations per request (the harness's tools/alloc_count.c, two N, difference)
#   bench/peers.sh all       the three
# Env: BUILD_DIR=build, PEERS_DIR (a writable copy of the harness; default: copied once from
# ../shared/bench-peers into $BUILD_DIR/bench-peers), REPS=9, N=20000, C=64, WAIT_QUIET=120 (run.sh's
# wait for an idle machine), CG_N="1000 3000", ALLOC_N="2000 12000" (tasks; each task = 2 requests).
# Needs the harness's ./setup.sh once (as root: nginx, wrk, valgrind is ours).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$(realpath "${BUILD_DIR:-build}")
mode=${1:-table}
reps=${REPS:-9} n=${N:-20000} c=${C:-64}
peers=${PEERS_DIR:-$build/bench-peers}
if [ ! -d "$peers" ]; then
    src=$(realpath "$root/../shared/bench-peers")
    cp -r "$src" "$peers"
fi
peers=$(realpath "$peers")

# ---- the library from this checkout, installed into a prefix the harness's find_package reads ----------
prefix=$build/peers-prefix
cmake --build "$build" -j2 --target runninghub runninghub_emulator >/dev/null
cmake --install "$build" --prefix "$prefix" >/dev/null
# The harness rebuilds its peer only when librunninghub.a is newer; headers may change alone: force it.
rm -rf "$peers/build/runninghub_cpp"
(cd "$peers" && ./server/gen-cert.sh >/dev/null && make -s && RH_PREFIX=$prefix make -s runninghub-cpp)
rhc=$peers/build/runninghub_cpp/runninghub_cpp
beast=$peers/build/beast_baseline
ca=$peers/server/cert.pem
base=https://127.0.0.1:8443

# ---- nginx of the harness (CPU 0), for the callgrind and allocation modes; run.sh starts its own -----
nginx_pid=
stop_nginx() {
    [ -n "$nginx_pid" ] || return 0
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
}
start_nginx() {
    mkdir -p "$peers/server/logs" "$peers/server/tmp"
    taskset -c 0 nginx -c "$peers/server/nginx.conf" -p "$peers/server/" -e "$peers/server/logs/error.log" &
    nginx_pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:8080/nginx_status && return 0; sleep 0.1; done
    echo "peers.sh: nginx did not start" >&2; exit 1
}
trap stop_nginx EXIT

# requests_of OUT: timed + warm-up requests of a peer's JSON line
requests_of() { python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(d["requests"] + d["warmup_requests"])' "$1"; }

# the peers measured by the two counting modes: name and command (the same warm-up for both N)
counted_peers() {
    printf '%s\n' "beast-baseline|$beast" "runninghub-cpp|$rhc" "runninghub-cpp-st|$rhc --single-threaded"
}

# callgrind: instructions (user space) of a whole run, for two N; the difference ÷ the extra requests is
# the steady-state cost per request (start-up, handshakes and warm-up cancel out).
run_callgrind() {
    local tmp=$1 na nb
    read -r na nb <<<"${CG_N:-1000 3000}"
    echo "== callgrind: per request (N=$na and N=$nb tasks, C=$c, difference); misses simulated"
    printf '| %-18s | %10s | %8s | %8s | %8s | %8s |\n|---|---:|---:|---:|---:|---:|\n' \
        client "Ir" "I1 miss" "D1 rd" "D1 wr" "L2 miss"
    while IFS='|' read -r name cmd; do
        local ev=() rq=()
        for k in "$na" "$nb"; do
            # shellcheck disable=SC2086
            taskset -c 1 valgrind --tool=callgrind --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 \
                --LL=524288,8,64 --callgrind-out-file="$tmp/cg.$name.$k" \
                $cmd --base "$base" --ca "$ca" --c "$c" --n "$k" --warmup-tasks 200 --warmup-s 1000 \
                >"$tmp/cg.$name.$k.out" 2>"$tmp/cg.$name.$k.err"
            # events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
            ev+=("$(awk '/^summary:|^totals:/ {print $2, $5, $6, $7, $8 + $9 + $10; exit}' "$tmp/cg.$name.$k")")
            rq+=("$(requests_of "$tmp/cg.$name.$k.out")")
        done
        awk -v n="$name" -v a="${ev[0]}" -v b="${ev[1]}" -v x="${rq[0]}" -v y="${rq[1]}" 'BEGIN {
            split(a, p, " "); split(b, q, " "); d = y - x
            printf "| %-18s | %10.0f | %8.0f | %8.0f | %8.0f | %8.0f |\n", n, (q[1] - p[1]) / d, (q[2] - p[2]) / d,
                (q[3] - p[3]) / d, (q[4] - p[4]) / d, (q[5] - p[5]) / d }'
    done < <(counted_peers)
    echo "(callgrind files: $tmp/cg.*; callgrind_annotate one of them for the profile)"
}

run_allocs() {
    local tmp=$1 na nb so=$peers/build/alloc_count.so
    read -r na nb <<<"${ALLOC_N:-2000 12000}"
    gcc -O2 -shared -fPIC -o "$so" "$peers/tools/alloc_count.c"
    echo "== allocations per request (N=$na and N=$nb tasks, C=$c, difference)"
    printf '| %-18s | %10s | %10s |\n|---|---:|---:|\n' client "allocs/req" "bytes/req"
    while IFS='|' read -r name cmd; do
        local al=() by=() rq=()
        for k in "$na" "$nb"; do
            # shellcheck disable=SC2086
            LD_PRELOAD=$so taskset -c 1 $cmd --base "$base" --ca "$ca" --c "$c" --n "$k" --warmup-tasks 2000 \
                --warmup-s 1000 >"$tmp/al.$name.$k.out" 2>"$tmp/al.$name.$k.err"
            al+=("$(sed -n 's/.*mallocs=\([0-9]*\).*/\1/p' "$tmp/al.$name.$k.err")")
            by+=("$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$tmp/al.$name.$k.err")")
            rq+=("$(requests_of "$tmp/al.$name.$k.out")")
        done
        awk -v n="$name" -v a="${al[0]}" -v b="${al[1]}" -v p="${by[0]}" -v q="${by[1]}" -v x="${rq[0]}" -v y="${rq[1]}" \
            'BEGIN {printf "| %-18s | %10.1f | %10.0f |\n", n, (b - a) / (y - x), (q - p) / (y - x)}'
    done < <(counted_peers)
}

# the timed table: run.sh's interleaved reps, then medians of client CPU per request and their ratios
run_table() {
    (cd "$peers" && RH_PREFIX=$prefix ./run.sh --peers "wrk beast-baseline runninghub-cpp runninghub-cpp-st" \
        --reps "$reps" --n "$n" --c "$c" --no-idle --wait-quiet "${WAIT_QUIET:-120}") | grep -v '^  smoke'
    python3 - "$peers/results/runs.jsonl" <<'PY'
import json, statistics as st, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in runs:
    by.setdefault(r["peer"], []).append(r)
cpu = {p: st.median(r["cpu_ms_per_1k_req"] for r in rs) for p, rs in by.items()}
# ratio per rep (same rep = neighbouring runs, similar host noise), then the median of those ratios
def rep_ratio(p, ref):
    a = {r["rep"]: r["cpu_ms_per_1k_req"] for r in by[p]}
    b = {r["rep"]: r["cpu_ms_per_1k_req"] for r in by.get(ref, [])}
    xs = [a[k] / b[k] for k in a if k in b]
    return st.median(xs) if xs else float("nan")
order = ["wrk", "beast-baseline", "runninghub-cpp-st", "runninghub-cpp"]
print(f"\n== client CPU per request, median of {max(len(v) for v in by.values())} interleaved reps")
print("| client | µs/request | ÷ wrk | ÷ naive Beast | other load (max) |")
print("|---|---:|---:|---:|---:|")
for p in order:
    if p not in by: continue
    ol = max(r.get("other_load", float("nan")) for r in by[p])
    print(f"| {p} | {cpu[p]:.2f} | {rep_ratio(p, 'wrk'):.2f} | {rep_ratio(p, 'beast-baseline'):.2f} | {ol:.2f} |")
PY
}

tmp=$(mktemp -d)
case $mode in
    table) run_table ;;
    callgrind) start_nginx; run_callgrind "$tmp" ;;
    allocs) start_nginx; run_allocs "$tmp" ;;
    all) run_table; start_nginx; run_callgrind "$tmp"; run_allocs "$tmp" ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
esac
