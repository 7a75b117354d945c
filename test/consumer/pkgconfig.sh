#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Installs the build into a prefix and builds test/consumer/client.cpp with
# nothing but `pkg-config --cflags --libs runninghub`, then runs it.
set -euo pipefail
build=$1 src=$2
. "$src/serve.sh"
prefix=$build/pkgconfig-prefix out=$build/pkgconfig-consumer
rm -rf "$prefix" "$out"
mkdir -p "$out"
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name runninghub.pc)
echo "pkg-config file: $pc"
export PKG_CONFIG_PATH=$(dirname "$pc")
echo "pkg-config --cflags --libs runninghub: $(pkg-config --cflags --libs runninghub)"
# shellcheck disable=SC2046
$(command -v ccache || true) g++ -std=c++20 -o "$out/client" "$src/client.cpp" $(pkg-config --cflags --libs runninghub)
with_emulator "$build/runninghub" "$out" "$out/client"
