#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Interop test: start a gemeinde daemon on loopback with one community and let a Fedify
# peer (tests/interop/inbox_peer.mjs, on 127.0.0.2) POST signed activities to its inboxes.
# The daemon fetches the peer's actor (served by Fedify) over plain http for the key.
#
# usage: run_inbox.sh GEMEINDE_BINARY
# Exit status: 0 if every check passed, non-zero otherwise.
# Needs `npm ci` in tests/interop first (it does not install anything by itself).
set -u
source "$(dirname "${BASH_SOURCE[0]}")/daemon.sh"

gm_interop_init inbox "$@"
gm_interop_start
started=$(date +%s%N)
"$node" "$here/inbox_peer.mjs" "http://127.0.0.1:$port" interop
result=$?
echo "# peer script took $(( ($(date +%s%N) - started) / 1000000 )) ms"
# The daemon must have fetched the peer's key (it logs this at debug level).
gm_interop_expect_log "keycache: fetched http://127.0.0.2:[0-9]*/users/alice#main-key"
gm_interop_finish
