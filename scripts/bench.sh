#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench.sh - build a Release tree (no tests, no sanitizers) in build-bench/ and run the inbox
# benchmark with its defaults (20,000 requests, 32 connections, 16 server threads). Extra
# arguments go to bench_inbox, e.g. scripts/bench.sh --threads 32 --connections 64.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DGM_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
command -v openssl >/dev/null 2>&1 || echo "bench: openssl not found, its figures are skipped" >&2
exec build-bench/bench/bench_inbox build-bench/gemeinde "$@"
