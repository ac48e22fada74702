#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-short.sh - build the libFuzzer targets with clang in BUILD_DIR and run each for SECONDS
# (default 10) from the seed corpora in fuzz/corpus/. New inputs go to BUILD_DIR/fuzz-corpus,
# crashes to BUILD_DIR/fuzz-artifacts. Exits non-zero when a build fails or a target crashes.
#   usage: fuzz/run-short.sh BUILD_DIR [SECONDS]
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [SECONDS]" >&2
    exit 2
fi
build=$1
seconds=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
targets="fuzz_httpsig fuzz_digest fuzz_inbox fuzz_sanitize"

mkdir -p "$build/fuzz-artifacts"
log="$build/fuzz-artifacts/build.log"
if ! { cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DGM_FUZZ=ON \
        -DGM_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
    cmake --build "$build" -j2 --target $targets; } >"$log" 2>&1; then
    echo "fuzz build failed:" >&2
    tail -n 40 "$log" >&2
    exit 1
fi
status=0
for t in $targets; do
    mkdir -p "$build/fuzz-corpus/$t"
    echo "== $t: ${seconds}s"
    if ! "$build/fuzz/$t" -max_total_time="$seconds" -max_len=12000 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
        "$build/fuzz-corpus/$t" "$root/fuzz/corpus/$t" 2>"$build/fuzz-artifacts/$t.log"; then
        echo "$t: FAILED, see $build/fuzz-artifacts/$t.log" >&2
        tail -n 40 "$build/fuzz-artifacts/$t.log" >&2
        status=1
    else
        grep -E '^stat::number_of_executed_units|^stat::new_units_added' \
            "$build/fuzz-artifacts/$t.log" || true
    fi
done
exit $status
