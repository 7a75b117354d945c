#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# CTEST_ARGS narrows the run, e.g. CTEST_ARGS="-R integration.threads".
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j2 --timeout 600 ${CTEST_ARGS:-}
