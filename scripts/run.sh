#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh - quick start: install what is missing, build, create a demo community on first run,
# and serve on 127.0.0.1:8080 with the data in ./data, the dashboard and /metrics on. Extra arguments go to `gemeinde`
# before `serve` (e.g. --listen 127.0.0.1:9090, -c gemeinde.conf).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGM_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

gm=(build/gemeinde --data-dir data "$@")
if ! "${gm[@]}" community show demo >/dev/null 2>&1; then
    "${gm[@]}" community create demo --title "Demo community" \
        --summary "A place to try gemeinde: follow it from Mastodon and mention it in a post." \
        --rule "Be kind and assume good faith." --rule "Stay on topic." --rule "No spam or ads."
fi
# The dashboard's token: made once, kept in a config file only the owner can read (never on
# the command line, where `ps` would show it).
conf=data/dashboard.conf
if [ ! -f "$conf" ]; then
    umask 077
    printf 'admin_token = %s\nmetrics = true\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" > "$conf"
fi
echo "run.sh: dashboard at http://127.0.0.1:8080/admin/demo - token: admin_token in $conf" >&2
exec build/gemeinde -c "$conf" --data-dir data "$@" serve
