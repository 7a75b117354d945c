#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Client CPU per HTTPS request, side by side with wrk, against the same
# standalone emulator process (one thread), same concurrency, in one run.
#   bench/compare.sh            (env: BUILD_DIR, CONCURRENCY=32, REQUESTS=100000, DURATION=10)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build} conc=${CONCURRENCY:-32} n=${REQUESTS:-100000} dur=${DURATION:-10}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
dir=$(mktemp -d)
"$build/runninghub" emulator --ca-out "$dir/ca.pem" --url-out "$dir/url" >"$dir/emulator.log" &
emu=$!
trap 'kill $emu 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -s "$dir/url" ] && break; sleep 0.05; done
url=$(cat "$dir/url")
key=0123456789abcdef0123456789abcdef
id=$(RUNNINGHUB_API_KEY=$key RUNNINGHUB_BASE_URL=$url RUNNINGHUB_CA_FILE=$dir/ca.pem \
     "$build/runninghub" run --app 1877265245566922753 --input 9:text=bench | awk '{print $2; exit}')
echo "== runninghub-cpp client: POST /openapi/v2/query, $n requests, $conc in flight"
"$build/bench_client" --url "$url" --ca-file "$dir/ca.pem" --task-id "$id" --requests "$n" --concurrency "$conc" \
    | tee "$dir/client.txt"
"$build/bench_client" --url "$url" --ca-file "$dir/ca.pem" --task-id "$id" --requests "$n" --concurrency "$conc" \
    --single-threaded | tee "$dir/client1.txt"
cat > "$dir/query.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"taskId":"$id"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA
echo "== wrk -t1 -c$conc -d${dur}s, same request"
TIMEFORMAT="%U %S"
{ time wrk -t1 -c"$conc" -d"${dur}s" -s "$dir/query.lua" "$url/openapi/v2/query" >"$dir/wrk.txt"; } 2>"$dir/wrk.time"
cat "$dir/wrk.txt"
requests=$(awk '/requests in/ {print $1}' "$dir/wrk.txt")
read -r user sys <"$dir/wrk.time"
client_us=$(awk '/client CPU/ {print $3}' "$dir/client.txt")
client1_us=$(awk '/client CPU/ {print $3}' "$dir/client1.txt")
awk -v u="$user" -v s="$sys" -v r="$requests" -v c="$client_us" -v c1="$client1_us" 'BEGIN {
    w = (u + s) * 1e6 / r
    printf "== CPU per request: wrk %.2f us; client %.2f us (ratio %.2f), single_threaded %.2f us (ratio %.2f)\n", w, c, c / w, c1, c1 / w }'
