#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Installs what is missing (Debian 12, as root), then configures and builds:
# everything, or only the targets given (`setup.sh cli`: the command-line tool,
# which is all the main job needs).
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo),
# RUNNINGHUB_SANITIZE (e.g. address,undefined), SETUP_INSTALL_ONLY (1: install
# the packages, build nothing).
# Debug information is line tables only (-g1: file:line in backtraces and
# sanitizer reports, no variables): full -g is ~30% of the compile CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake make ninja-build ccache libssl-dev libboost1.81-dev libboost-json1.81-dev
          libboost-url1.81-dev libboost-test1.81-dev libcli11-dev libspdlog-dev)
# A whole build also gets pkg-config (a consumer test) and Doxygen (the docs target, in CI).
(($#)) || packages+=(pkgconf doxygen)
. scripts/install_missing.sh
install_missing setup "${packages[@]}"
[ -z "${SETUP_INSTALL_ONLY:-}" ] || exit 0
# Compiler-cache keys relative to the checkout and not to the build directory:
# the consumer tests' builds of the library (shared, subprojects) reuse these.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

build=${BUILD_DIR:-build}
# Ninja compiles a target's sources while the libraries it links are still being
# built (make waits for each target): the CLI's first build takes 1-2 minutes less.
# An existing build directory keeps its generator.
generator=()
[ -f "$build/CMakeCache.txt" ] || generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
      -DRUNNINGHUB_SANITIZE="${RUNNINGHUB_SANITIZE:-}" -DRUNNINGHUB_BUILD_TESTS=ON -DRUNNINGHUB_BUILD_TOOLS=ON >/dev/null
targets=()
for t in "$@"; do
    [ "$t" = cli ] && t=runninghub_cli
    targets+=(--target "$t")
done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
