#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The command-line tool end to end: the embedded emulator (batch with
# downloads), then every subcommand against a standalone emulator process.
#   check.sh BUILD_DIR
set -euo pipefail
cli="$1/runninghub"
dir=$(mktemp -d)
trap 'kill $emu 2>/dev/null || true; rm -rf "$dir"' EXIT
fail() { echo "cli check: $*" >&2; exit 1; }

# 1. batch against the embedded emulator (README's main job), downloading every result.
env -u RUNNINGHUB_API_KEY -u RUNNINGHUB_BASE_URL "$cli" batch --count 20 --download "$dir/batch" --progress \
    >"$dir/batch.txt" 2>"$dir/batch.err" || fail "batch failed ($?): $(cat "$dir/batch.txt" "$dir/batch.err")"
ok=$(awk '/succeeded/ {print $2}' "$dir/batch.txt")
files=$(ls "$dir/batch" | wc -l)
[ "$ok" = 20 ] || fail "batch: $ok of 20 succeeded"
[ "$files" = "$ok" ] || fail "batch: $ok tasks succeeded but $files files were downloaded"
grep -q "20/20 done" "$dir/batch.err" || fail "batch printed no progress"

# 2. every subcommand against one standalone emulator.
"$cli" emulator --ca-out "$dir/ca.pem" --url-out "$dir/url" >"$dir/emulator.log" 2>&1 &
emu=$!
for _ in $(seq 100); do [ -s "$dir/url" ] && break; sleep 0.05; done
export RUNNINGHUB_API_KEY=0123456789abcdef0123456789abcdef RUNNINGHUB_BASE_URL=$(cat "$dir/url") \
       RUNNINGHUB_CA_FILE="$dir/ca.pem"
app=1877265245566922753
id=$("$cli" run --app $app --input 9:text=hello | awk '/^task/ {print $2; exit}')
[ -n "$id" ] || fail "run printed no task id"
"$cli" wait "$id" | grep -q "SUCCESS" || "$cli" wait "$id" | grep -q "FAILED" || fail "wait"
"$cli" status "$id" | grep -qE "SUCCESS|FAILED" || fail "status"
"$cli" outputs "$id" >/dev/null 2>&1 || true   # 805 for an emulated failure is fine
"$cli" download "$id" --dir "$dir/dl/new" | grep -q "MD5 verified" || fail "download"
ls "$dir/dl/new" | grep -q "^$id-9-0\." || fail "download --dir: $(ls "$dir/dl/new")"
head -c 100000 /dev/urandom >"$dir/in.png"
"$cli" upload "$dir/in.png" | grep -q "^fileName openapi/" || fail "upload"
"$cli" upload "$dir/in.png" --legacy image | grep -q "^fileName api/" || fail "legacy upload"
"$cli" upload "$dir/in.png" --lora style | grep -q "^fileName api-lora-cn/" || fail "lora upload"
"$cli" account | grep -q "^coins " || fail "account"
"$cli" app $app | grep -q -- "--input 6:text=" || fail "app"
if "$cli" cancel "$id" 2>"$dir/err.txt"; then fail "cancel of an ended task succeeded"; fi
grep -q "already ended" "$dir/err.txt" || fail "cancel of an ended task: $(cat "$dir/err.txt")"
# Errors are named and exit non-zero.
if "$cli" upload "$dir/missing.png" 2>"$dir/err.txt"; then fail "upload of a missing file succeeded"; fi
grep -q "missing.png" "$dir/err.txt" || fail "the missing file is not named: $(cat "$dir/err.txt")"
if "$cli" status 1800000000000000001 2>"$dir/err.txt"; then fail "status of an unknown task succeeded"; fi
grep -q "807" "$dir/err.txt" || fail "807 not shown: $(cat "$dir/err.txt")"
if "$cli" frobnicate 2>/dev/null; then fail "an unknown command succeeded"; fi
# A failed task's reason: node, class, exception, and the traceback (wait, status).
kill -INT $emu; wait $emu || true
"$cli" emulator --ca-out "$dir/ca.pem" --url-out "$dir/url1" --failure-rate 1 >"$dir/emulator1.log" 2>&1 &
emu=$!
for _ in $(seq 100); do [ -s "$dir/url1" ] && break; sleep 0.05; done
bad=$(RUNNINGHUB_BASE_URL=$(cat "$dir/url1") "$cli" run --app $app --input 9:text=x | awk '/^task/ {print $2; exit}')
RUNNINGHUB_BASE_URL=$(cat "$dir/url1") "$cli" wait "$bad" >"$dir/failed.txt" 2>&1 || true
grep -q "FAILED" "$dir/failed.txt" || fail "wait on a failed task: $(cat "$dir/failed.txt")"
grep -q "failedReason: node 9 (SaveImage): RuntimeError: emulated failure" "$dir/failed.txt" ||
    fail "the failure's reason is not shown: $(cat "$dir/failed.txt")"
grep -q "^  traceback:" "$dir/failed.txt" || fail "the traceback is not shown: $(cat "$dir/failed.txt")"
# 3. Jobs files against a standalone emulator whose tasks take 1.5 s.
kill -INT $emu; wait $emu || true
"$cli" emulator --ca-out "$dir/ca.pem" --url-out "$dir/url2" --run-ms 1500 >"$dir/emulator2.log" 2>&1 &
emu=$!
for _ in $(seq 100); do [ -s "$dir/url2" ] && break; sleep 0.05; done
export RUNNINGHUB_BASE_URL=$(cat "$dir/url2")
long=$("$cli" run --app $app --input 9:text=x | awk '/^task/ {print $2; exit}')
"$cli" cancel "$long" | grep -q "cancelled" || fail "cancel"
make_jobs() {  # make_jobs N FILE: N distinct jobs, every third with a file to upload
    for i in $(seq "$1"); do
        if [ $((i % 3)) = 0 ]; then files=',"files":{"10:image":"in.png"}'; else files=''; fi
        echo "{\"id\":\"j$i\",\"nodeInfoList\":[{\"nodeId\":\"9\",\"fieldName\":\"text\",\"fieldValue\":\"prompt $i\"}]$files}"
    done >"$2"
}
accepted() { local n; n=$(grep -c '"accepted"' "$1" 2>/dev/null) || true; echo "${n:-0}"; }
wait_accepted() {  # wait_accepted JOURNAL N
    for _ in $(seq 200); do [ "$(accepted "$1")" -ge "$2" ] && return; sleep 0.05; done
}
# 3a. SIGINT: exit 130, every accepted task in the results file; run again: the rest, exit 0.
make_jobs 12 "$dir/jobs.jsonl"
bargs=(batch --app $app --jobs "$dir/jobs.jsonl" --out "$dir/int.jsonl" --concurrency 4)
"$cli" "${bargs[@]}" >"$dir/int1.txt" 2>&1 &
batch=$!
wait_accepted "$dir/int.jsonl.journal" 4
kill -INT $batch
rc=0; wait $batch || rc=$?
[ $rc = 130 ] || fail "SIGINT: exit $rc, not 130 ($(cat "$dir/int1.txt"))"
for t in $(grep '"accepted"' "$dir/int.jsonl.journal" | sed 's/.*"task":"\([0-9]*\)".*/\1/'); do
    grep -q "\"taskId\":\"$t\"" "$dir/int.jsonl" || fail "SIGINT: accepted task $t is not in the results file"
done
grep -q '"SUCCESS"' "$dir/int.jsonl" || fail "SIGINT: accepted tasks were not waited for"
"$cli" "${bargs[@]}" >"$dir/int2.txt" 2>&1 || fail "the run after SIGINT: $(cat "$dir/int2.txt")"
[ "$(grep -c . "$dir/int.jsonl")" = 12 ] || fail "after SIGINT and a second run: $(grep -c . "$dir/int.jsonl") lines, not 12"
# 3b. --cancel-on-interrupt: the accepted tasks are cancelled at the service.
make_jobs 8 "$dir/jobs2.jsonl"
"$cli" batch --app $app --jobs "$dir/jobs2.jsonl" --out "$dir/can.jsonl" --concurrency 3 --cancel-on-interrupt \
    >"$dir/can.txt" 2>&1 &
batch=$!
wait_accepted "$dir/can.jsonl.journal" 3
kill -INT $batch
rc=0; wait $batch || rc=$?
[ $rc = 130 ] || fail "SIGINT with --cancel-on-interrupt: exit $rc ($(cat "$dir/can.txt"))"
n=$(accepted "$dir/can.jsonl.journal")
[ "$(grep -c '"status":"CANCEL"' "$dir/can.jsonl")" = "$n" ] || fail "--cancel-on-interrupt: $n accepted, $(cat "$dir/can.jsonl")"
# 3c. SIGKILL at a few moments, run again each time: each job's task created once, each file downloaded once.
make_jobs 24 "$dir/jobs3.jsonl"
kargs=(batch --app $app --jobs "$dir/jobs3.jsonl" --out "$dir/kill.jsonl" --download "$dir/kill" --concurrency 6)
for moment in 3 9 15; do
    "$cli" "${kargs[@]}" >"$dir/kill.txt" 2>&1 &
    batch=$!
    wait_accepted "$dir/kill.jsonl.journal" $moment
    kill -9 $batch; wait $batch 2>/dev/null || true
done
rc=0; "$cli" "${kargs[@]}" >"$dir/kill.txt" 2>&1 || rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "the run after SIGKILL: exit $rc $(cat "$dir/kill.txt")"
kill -INT $emu; wait $emu || true
created=$(awk '/^emulator:/ {print $4}' "$dir/emulator2.log")
lines=$(grep -c . "$dir/kill.jsonl")
tasks=$(grep -o '"taskId":"[0-9]*"' "$dir/kill.jsonl" | sort -u | wc -l)
files=$(ls "$dir/kill" | grep -vc '\.part$')
kok=$(grep -c '"status":"SUCCESS"' "$dir/kill.jsonl" || true)
unknown=$(grep -c '"status":"UNKNOWN"' "$dir/kill.jsonl" || true)  # killed between a submit and its answer
[ "$lines" = 24 ] && [ "$((kok + unknown))" = 24 ] || fail "after SIGKILL: $lines lines, $kok ok, $unknown in doubt"
[ "$tasks" = "$kok" ] || fail "after SIGKILL: $tasks distinct tasks for $kok successes"
[ "$files" = "$kok" ] || fail "after SIGKILL: $files files downloaded for $kok successes"
# 1 (run, cancelled) + 12 (SIGINT) + 8 at most (cancel) + 24: nothing created twice.
[ "$created" -le $((1 + 12 + 8 + 24)) ] || fail "$created tasks created: something was submitted twice"
echo "cli check: jobs files: SIGINT (exit 130, ids kept), --cancel-on-interrupt ($n cancelled), SIGKILL x3 and resume ($kok ok, $unknown in doubt, $created tasks created)"
# 3d. A submit answer lost after its task was created: without a listener the job is in doubt (exit 1);
#     with --webhook-listen its task's callback names the task, and the job is adopted (exit 0).
for listen in "" 127.0.0.1:0; do
    "$cli" emulator --ca-out "$dir/ca.pem" --url-out "$dir/url3" --run-ms 300 \
        --fault drop_after_processing:1:/run/:1 >"$dir/emulator3.log" 2>&1 &
    emu=$!
    for _ in $(seq 100); do [ -s "$dir/url3" ] && break; sleep 0.05; done
    rc=0
    RUNNINGHUB_BASE_URL=$(cat "$dir/url3") "$cli" batch --app $app --count 3 --input 9:text=x --out "$dir/adopt$listen.jsonl" \
        ${listen:+--webhook-listen $listen --adopt-timeout 60} >"$dir/adopt.txt" 2>&1 || rc=$?
    kill -INT $emu; wait $emu || true
    rm -f "$dir/url3"
    grep -q "drop_after_processing 1" "$dir/emulator3.log" || fail "the fault did not fire: $(cat "$dir/emulator3.log")"
    if [ -z "$listen" ]; then
        [ $rc = 1 ] && grep -q "in doubt  *1" "$dir/adopt.txt" || fail "a lost answer: exit $rc $(cat "$dir/adopt.txt")"
    else
        [ $rc = 0 ] && grep -q "adopted  *1" "$dir/adopt.txt" || fail "adoption: exit $rc $(cat "$dir/adopt.txt")"
        [ "$(grep -c '"status":"SUCCESS"' "$dir/adopt$listen.jsonl")" = 3 ] || fail "adoption: $(cat "$dir/adopt$listen.jsonl")"
    fi
done
echo "cli check: a lost submit answer: in doubt without a listener, adopted with --webhook-listen"
echo "cli check: ok ($ok of 20 batch tasks, every subcommand)"
# 4. The command line itself: --version, each command's own --help (exit 0), and usage
#    errors that name the problem and exit 2.
"$cli" --version | grep -q "^runninghub [0-9]" || fail "--version"
for c in batch run query wait cancel status outputs download upload account app emulator; do
    "$cli" $c --help | grep -q "Usage: runninghub $c" || fail "$c --help"
done
usage_error() {  # usage_error WORD ARGS...: exit 2, WORD named on stderr
    local word=$1 rc=0; shift
    "$cli" "$@" >/dev/null 2>"$dir/usage.txt" || rc=$?
    [ "$rc" = 2 ] && grep -q -- "$word" "$dir/usage.txt" || fail "runninghub $*: exit $rc, $(head -1 "$dir/usage.txt")"
}
usage_error frobnicate frobnicate
usage_error --bogus account --bogus
usage_error "not expected: 2" query 1 2
usage_error TASK_ID wait
usage_error --count batch --count 0
usage_error --concurrency batch --concurrency -1
usage_error NODE:FIELD=VALUE run --input nonsense
usage_error "needs --out" batch --jobs "$dir/jobs.jsonl"
usage_error "--input is for --count" batch --jobs "$dir/jobs.jsonl" --out "$dir/x.out" --input 9:text=x
echo '{"app":"1","nodeInfoList":{"x":1}}' >"$dir/bad.jsonl"
usage_error "bad.jsonl line 1: \"nodeInfoList\" must be an array" batch --jobs "$dir/bad.jsonl" --out "$dir/bad.out"
[ ! -s "$dir/bad.out" ] || fail "a bad jobs file wrote results"
rc=0; env -u RUNNINGHUB_API_KEY "$cli" account 2>"$dir/usage.txt" || rc=$?
[ $rc = 2 ] && grep -q "RUNNINGHUB_API_KEY is not" "$dir/usage.txt" || fail "RUNNINGHUB_BASE_URL without a key: exit $rc"
usage_error "give --jobs FILE or --count N" batch --app $app
usage_error "--webhook-listen takes HOST:PORT" batch --app $app --count 1 --webhook-listen localhost
usage_error "--webhook-url takes" batch --app $app --count 1 --webhook-listen 127.0.0.1:0 --webhook-url ftp://x
usage_error 'no fault kind "bogus"' emulator --fault bogus
usage_error "probability" emulator --fault http_502:2
# RUNNINGHUB_BASE_URL: cleartext only to loopback, ports checked (issue 11), the key never shown.
rc=0; RUNNINGHUB_BASE_URL=http://www.runninghub.cn "$cli" account 2>"$dir/usage.txt" || rc=$?
[ $rc = 2 ] && grep -q "cleartext" "$dir/usage.txt" || fail "a remote http:// base URL: exit $rc, $(cat "$dir/usage.txt")"
! grep -q "$RUNNINGHUB_API_KEY" "$dir/usage.txt" || fail "the refusal of an http:// base URL shows the key"
rc=0; RUNNINGHUB_BASE_URL=https://127.0.0.1:99999 "$cli" account 2>"$dir/usage.txt" || rc=$?
[ $rc = 2 ] && grep -q 'port "99999"' "$dir/usage.txt" || fail "port 99999: exit $rc, $(cat "$dir/usage.txt")"
echo "cli check: usage ok (--version, --help, usage errors)"
