#!/usr/bin/env bash
# Installs the build into a prefix, builds test/consumer against it, runs it.
set -euo pipefail
build=$1 src=$2 sanitize=${3:-}
prefix=$build/consumer-prefix
rm -rf "$prefix" "$build/consumer-build"
cmake --install "$build" --prefix "$prefix" >/dev/null
flags=""
[ -n "$sanitize" ] && flags="-fsanitize=$sanitize"
cmake -S "$src" -B "$build/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache || true)" >/dev/null
cmake --build "$build/consumer-build" -j2 >/dev/null
"$build/consumer-build/consumer"
