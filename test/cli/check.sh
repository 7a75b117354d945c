#!/usr/bin/env bash
# The command-line tool end to end: the embedded emulator (batch with
# downloads), then every subcommand against a standalone emulator process.
#   check.sh BUILD_DIR
set -euo pipefail
cli="$1/runninghub"
dir=$(mktemp -d)
trap 'kill $emu 2>/dev/null || true; rm -rf "$dir"' EXIT
fail() { echo "cli check: $*" >&2; exit 1; }

# 1. batch against the embedded emulator, downloading every result.
env -u RUNNINGHUB_API_KEY "$cli" batch --count 20 --download "$dir/batch" --progress >"$dir/batch.txt" 2>"$dir/batch.err" \
    || fail "batch failed: $(cat "$dir/batch.txt" "$dir/batch.err")"
ok=$(awk '/succeeded/ {print $2}' "$dir/batch.txt")
files=$(ls "$dir/batch" | wc -l)
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
"$cli" download "$id" --dir "$dir" | grep -q "MD5 verified" || fail "download"
head -c 100000 /dev/urandom >"$dir/in.png"
"$cli" upload "$dir/in.png" | grep -q "^fileName openapi/" || fail "upload"
"$cli" upload "$dir/in.png" --legacy image | grep -q "^fileName api/" || fail "legacy upload"
"$cli" upload "$dir/in.png" --lora style | grep -q "^fileName api-lora-cn/" || fail "lora upload"
"$cli" account | grep -q "^coins " || fail "account"
"$cli" app $app | grep -q -- "--input 6:text=" || fail "app"
long=$("$cli" run --app $app --input 9:text=x | awk '/^task/ {print $2; exit}')
"$cli" cancel "$long" | grep -q "cancelled" || fail "cancel"
# Errors are named and exit non-zero.
if "$cli" upload "$dir/missing.png" 2>"$dir/err.txt"; then fail "upload of a missing file succeeded"; fi
grep -q "missing.png" "$dir/err.txt" || fail "the missing file is not named: $(cat "$dir/err.txt")"
if "$cli" status 1800000000000000001 2>"$dir/err.txt"; then fail "status of an unknown task succeeded"; fi
grep -q "807" "$dir/err.txt" || fail "807 not shown: $(cat "$dir/err.txt")"
if "$cli" frobnicate 2>/dev/null; then fail "an unknown command succeeded"; fi
# 3. A batch killed with SIGKILL and run again with its journal: accepted tasks are taken
#    over, nothing is submitted twice (the emulator's task count says so).
kill -INT $emu; wait $emu || true
"$cli" emulator --ca-out "$dir/ca.pem" --url-out "$dir/url2" --run-ms 1500 >"$dir/emulator2.log" 2>&1 &
emu=$!
for _ in $(seq 100); do [ -s "$dir/url2" ] && break; sleep 0.05; done
export RUNNINGHUB_BASE_URL=$(cat "$dir/url2")
args=(batch --app $app --input 9:text=crash --count 30 --concurrency 6 --journal "$dir/journal")
"$cli" "${args[@]}" >"$dir/run1.txt" 2>&1 &
batch=$!
for _ in $(seq 100); do
    n=$(grep -c accepted "$dir/journal" 2>/dev/null || true)
    [ "${n:-0}" -ge 3 ] && break
    sleep 0.05
done
kill -9 $batch; wait $batch 2>/dev/null || true
"$cli" "${args[@]}" >"$dir/run2.txt" 2>&1 || true
ok2=$(awk '/succeeded/ {print $2}' "$dir/run2.txt")
doubt=$(awk '/in doubt/ {print $2}' "$dir/run2.txt"); doubt=${doubt:-0}
taken=$(awk '/journal / {print $3}' "$dir/run2.txt")
kill -INT $emu; wait $emu || true
created=$(awk '/^emulator:/ {print $4}' "$dir/emulator2.log")
[ "$((ok2 + doubt))" = 30 ] || fail "after the crash: $ok2 succeeded + $doubt in doubt != 30 ($(cat "$dir/run2.txt"))"
[ "$taken" -ge 3 ] || fail "the second run took over $taken tasks"
[ "$created" -le 30 ] || fail "$created tasks created for a batch of 30: something was submitted twice"
echo "cli check: crash and resume: $taken tasks taken over, $doubt in doubt, $created created for 30"
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
usage_error NODE:FIELD=VALUE run --input nonsense
echo "cli check: usage ok (--version, --help, usage errors)"
