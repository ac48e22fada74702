#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Interop test of the follow cycle: start a gemeinde daemon on loopback with one community and
# let two Fedify peers (tests/interop/follow_peer.mjs: alice on 127.0.0.2, bob on 127.0.0.3)
# follow it, receive and verify its Accepts, leave, follow again and be removed. The peer
# script runs `gemeinde members` itself, with this script's config.
#
# usage: run_follow.sh GEMEINDE_BINARY
# Exit status: 0 if every check passed, non-zero otherwise.
# Needs `npm ci` in tests/interop first (it does not install anything by itself).
set -u
source "$(dirname "${BASH_SOURCE[0]}")/daemon.sh"

gm_interop_init follow "$@"
gm_interop_start
started=$(date +%s%N)
"$node" "$here/follow_peer.mjs" "http://127.0.0.1:$port" interop "$gm" "$tmp/gm.conf"
result=$?
echo "# peer script took $(( ($(date +%s%N) - started) / 1000000 )) ms"
# What the daemon logged: both follows and alice's leaving, and no delivery problem.
gm_interop_expect_log "membership: http://127.0.0.2:[0-9]*/users/alice joins interop" \
  "membership: http://127.0.0.3:[0-9]*/users/bob joins interop" \
  "rules: http://127.0.0.2:[0-9]*/users/alice left interop"
gm_interop_no_delivery_problems
gm_interop_finish
