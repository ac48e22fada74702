#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Interop test of the relay cycle: start a gemeinde daemon on loopback with one community, let
# Fedify peers (tests/interop/relay_peer.mjs: alice 127.0.0.2, bob 127.0.0.3, carol 127.0.0.4
# who serves NodeInfo "lemmy", dave 127.0.0.5) follow it and post to it, and check which posts
# the community announces, to whom, in which shape, and what its outbox shows. The peer script
# runs `gemeinde members` itself, with this script's config.
#
# usage: run_relay.sh GEMEINDE_BINARY
# Exit status: 0 if every check passed, non-zero otherwise.
# Needs `npm ci` in tests/interop first (it does not install anything by itself).
set -u
source "$(dirname "${BASH_SOURCE[0]}")/daemon.sh"

gm_interop_init relay "$@"
gm_interop_start
started=$(date +%s%N)
"$node" "$here/relay_peer.mjs" "http://127.0.0.1:$port" interop "$gm" "$tmp/gm.conf"
result=$?
echo "# peer script took $(( ($(date +%s%N) - started) / 1000000 )) ms"
# What the daemon logged (info level): the follows, carol's NodeInfo, why the followers-only
# post and dave's post were not relayed, the fan-outs (3 members, then 2 after bob left), and
# no delivery that failed, was dropped, retried or knocked twice.
gm_interop_expect_log "membership: http://127.0.0.2:[0-9]*/users/alice joins interop" \
  "membership: http://127.0.0.3:[0-9]*/users/bob joins interop" \
  "membership: http://127.0.0.4:[0-9]*/users/carol joins interop" \
  "rules: http://127.0.0.3:[0-9]*/users/bob left interop" \
  "nodeinfo: 127.0.0.4:[0-9]* runs lemmy" \
  "nodeinfo: 127.0.0.2:[0-9]* runs (unknown)" \
  "relay: interop: http://127.0.0.2:[0-9]*/notes/[0-9a-f-]* is not public, acknowledged and not relayed" \
  "relay: interop: http://127.0.0.5:[0-9]*/notes/[0-9a-f-]* by http://127.0.0.5:[0-9]*/users/dave dropped (posting: members only)" \
  "relay: interop announces http://127.0.0.3:[0-9]*/notes/[0-9a-f-]* as .*/c/interop/announces/2" \
  "relay: interop announce 1 fanned out to 3 inboxes (3 members)" \
  "relay: interop announce 3 fanned out to 2 inboxes (2 members)"
gm_interop_no_delivery_problems
echo "# daemon's relay lines:"
grep -E "relay: |nodeinfo: " "$tmp/daemon.log" | sed 's/^/#   /'
gm_interop_finish
