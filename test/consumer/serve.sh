# SPDX-License-Identifier: BSL-1.0
# Sourced by the consumer checks. with_emulator CLI DIR CMD...: runs CMD with
# RUNNINGHUB_BASE_URL and RUNNINGHUB_API_KEY naming a standalone emulator
# (`CLI emulator --plain` on 127.0.0.1), stopped afterwards.
with_emulator() {
    local cli=$1 dir=$2
    shift 2
    rm -f "$dir/emulator.url"
    "$cli" emulator --plain --url-out "$dir/emulator.url" >"$dir/emulator.log" 2>&1 &
    local pid=$!
    for _ in $(seq 300); do
        [ -s "$dir/emulator.url" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$dir/emulator.log"; return 1; }
        sleep 0.1
    done
    local rc=0
    RUNNINGHUB_BASE_URL=$(cat "$dir/emulator.url") RUNNINGHUB_API_KEY=0123456789abcdef0123456789abcdef "$@" || rc=$?
    kill "$pid"
    wait "$pid" || true
    return $rc
}
