#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# BUILD_SHARED_LIBS: builds the library alone as a shared library beside the
# main build (BUILD-shared: the same depth, so the compiler cache is shared
# with it), installs it, builds test/consumer against it and runs the client
# against the main build's emulator. Checks the SOVERSION link and that the
# internals are not exported.
set -euo pipefail
build=$1 src=$2 root=$3 build_type=$4
. "$src/serve.sh"
shared=$build-shared prefix=$build-shared/prefix out=$build-shared/consumer-build
rm -rf "$prefix" "$out"
# The main build's generator too, so that the compile commands are the same.
generator=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$build/CMakeCache.txt")
if [ -f "$shared/CMakeCache.txt" ] && ! grep -qx "CMAKE_GENERATOR:INTERNAL=$generator" "$shared/CMakeCache.txt"; then
    rm -rf "$shared"
fi
# ... and its flags for the build type (scripts/setup.sh sets them: -g1).
flags=()
if [ -n "$build_type" ]; then
    var=CMAKE_CXX_FLAGS_${build_type^^}
    flags=(-D"$var=$(sed -n "s/^$var:STRING=//p" "$build/CMakeCache.txt")")
fi
cmake -S "$root" -B "$shared" -G "$generator" -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE="$build_type" "${flags[@]}" \
      -DRUNNINGHUB_BUILD_TESTS=OFF -DRUNNINGHUB_BUILD_TOOLS=OFF >/dev/null
cmake --build "$shared" -j2 --target runninghub >/dev/null
cmake --install "$shared" --prefix "$prefix" >/dev/null
lib=$(find "$prefix" -name 'librunninghub.so.*.*.*')
echo "shared library: $lib ($(stat -c %s "$lib") bytes)"
exported=$(nm -D --defined-only -C "$lib")
echo "exported: $(grep -c 'runninghub::' <<<"$exported") runninghub symbols, $(wc -l <<<"$exported") in all"
# Internals hidden (the server core, the codec, the pool: runninghub::detail);
# Asio's own symbols are visible as Asio marks them: its per-thread state must
# be one for the application and the library (hidden, the consumer crashes).
internal=$(cut -d' ' -f3- <<<"$exported" | grep -E '^runninghub::detail::' || true)
[ -z "$internal" ] || { echo "FAIL: internal symbols exported:"; head <<<"$internal"; exit 1; }
grep -q 'boost::asio::detail::call_stack<boost::asio::detail::thread_context' <<<"$exported" ||
    { echo "FAIL: Asio's thread call stack is not shared"; exit 1; }
grep -q 'runninghub::client::client(' <<<"$exported" || { echo "FAIL: runninghub::client not exported"; exit 1; }
cmake -S "$src" -B "$out" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE="$build_type" \
      -DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache || true)" >/dev/null
cmake --build "$out" -j2 >/dev/null
needed=$(readelf -d "$out/consumer_client" | grep NEEDED | grep runninghub || true)
echo "consumer: $needed"
grep -q 'librunninghub\.so\.[0-9.]*\]' <<<"$needed" || { echo "FAIL: not linked to librunninghub.so.SOVERSION"; exit 1; }
with_emulator "$build/runninghub" "$out" "$out/consumer_client"
