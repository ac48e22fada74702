#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench.sh - build a Release tree (no tests, no sanitizers) in build-bench/ and run a benchmark.
#   scripts/bench.sh [ARGS]          bench_inbox with its defaults (20,000 requests, 32
#                                    connections, 16 server threads); ARGS go to bench_inbox,
#                                    e.g. scripts/bench.sh --threads 32 --connections 64
#   scripts/bench.sh inbox [ARGS]    the same
#   scripts/bench.sh fanout [ARGS]   bench_fanout (one post relayed to 1,000 / 5,000 / 10,000
#                                    members); ARGS go to it, e.g. --scenarios c
#   scripts/bench.sh stats [ARGS]    bench_stats (`stats` and the dashboard of a community with
#                                    100,000 members and 1,000,000 posts over a year); ARGS go
#                                    to it, e.g. --runs 50
set -euo pipefail
cd "$(dirname "$0")/.."

bench=bench_inbox
case "${1:-}" in
    inbox) shift ;;
    fanout) bench=bench_fanout; shift ;;
    stats) bench=bench_stats; shift ;;
esac

scripts/deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DGM_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
command -v openssl >/dev/null 2>&1 || echo "bench: openssl not found, its figures are skipped" >&2
exec "build-bench/bench/$bench" build-bench/gemeinde "$@"
