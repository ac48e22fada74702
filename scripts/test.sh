#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test.sh - the whole test suite: install what is missing (Debian packages, pinned npm packages
# for the Fedify interop tests and the browser test), build with ASan+UBSan and -Werror, run
# ctest (unit, integration, interop, browser), then a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --test
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

# An optimised build with -Werror catches warnings only the optimiser sees.
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DGM_WERROR=ON -DGM_BUILD_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)"

cmake -S . -B build-asan -DGM_SANITIZE=ON -DGM_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j2 --timeout 300)

if [ -x fuzz/run-short.sh ]; then
    fuzz/run-short.sh build-fuzz "${GM_FUZZ_SECONDS:-10}"
fi
