#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Configures and builds test/subproject (MODE: add_subdirectory with the
# application's own Asio, or FetchContent), checks that it installs nothing of
# ours, and runs its client against the main build's emulator.
set -euo pipefail
build=$1 here=$2 root=$3 mode=$4
. "$root/test/consumer/serve.sh"
out=$build/subproject-$mode
rm -rf "$out"
args=(-DRUNNINGHUB_SOURCE_DIR="$root" -DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache || true)")
case $mode in
    own_asio) args+=(-DOWN_ASIO=ON) ;;
    fetchcontent) args+=(-DUSE_FETCHCONTENT=ON) ;;
esac
cmake -S "$here" -B "$out" "${args[@]}" >/dev/null
cmake --build "$out" -j2 >/dev/null
cmake --install "$out" --prefix "$out/prefix" >/dev/null
if [ -n "$(find "$out/prefix" -type f 2>/dev/null)" ]; then
    echo "FAIL: the subproject installed files:"; find "$out/prefix" -type f | head; exit 1
fi
with_emulator "$build/runninghub" "$out" "$out/subproject_client"
