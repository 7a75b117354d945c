#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Installs the build into a prefix, builds test/consumer against it
# (find_package) and runs it: with the emulator in-process, and the client
# alone against the installed CLI's emulator. The installed CLI is stripped.
set -euo pipefail
build=$1 src=$2 sanitize=${3:-}
. "$src/serve.sh"
prefix=$build/consumer-prefix
rm -rf "$prefix" "$build/consumer-build"
cmake --install "$build" --prefix "$prefix" >/dev/null
cli=$prefix/bin/runninghub
if [ -x "$cli" ]; then
    size=$(stat -c %s "$cli")
    echo "installed CLI: $size bytes"
    if readelf -S "$cli" | grep -q '\.debug_'; then
        echo "FAIL: the installed CLI has debug sections"; exit 1
    fi
    [ "$size" -lt $((20 * 1024 * 1024)) ] || { echo "FAIL: the installed CLI is over 20 MB"; exit 1; }
else
    cli=$build/runninghub  # a build without the tools
fi
flags=""
[ -n "$sanitize" ] && flags="-fsanitize=$sanitize"
cmake -S "$src" -B "$build/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache || true)" >/dev/null
cmake --build "$build/consumer-build" -j2 >/dev/null
"$build/consumer-build/consumer"
with_emulator "$cli" "$build/consumer-build" "$build/consumer-build/consumer_client"
