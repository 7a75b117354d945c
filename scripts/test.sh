#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Sets up, builds and runs the whole test suite (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The consumer tests build the library again: the compiler cache as setup.sh keys it.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
# CTEST_ARGS narrows the run, e.g. CTEST_ARGS="-R integration.threads".
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j2 --timeout 600 ${CTEST_ARGS:-}
