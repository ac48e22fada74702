#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Interop test of moderation: start a gemeinde daemon on loopback with one community, suspend
# one peer address node-wide and another for the community only (`gemeinde block add`), and
# let Fedify peers (tests/interop/moderation_peer.mjs: alice 127.0.0.2, maria 127.0.0.3,
# sam 127.0.0.4, eve 127.0.0.6 on the suspended address, frank 127.0.0.7 on the blocked one)
# follow, post and send the community direct messages. The peer script makes maria a
# moderator (`gemeinde mod NAME add URL`: her URL has a port only known once she listens) and
# reads `members`, `bans`, `mod` and `inbox` itself, with this script's config.
#
# usage: run_moderation.sh GEMEINDE_BINARY
# Exit status: 0 if every check passed, non-zero otherwise.
# Needs `npm ci` in tests/interop first (it does not install anything by itself).
set -u
source "$(dirname "${BASH_SOURCE[0]}")/daemon.sh"

suspended=${GM_SUSPENDED_HOST:-127.0.0.6}
cblocked=${GM_CBLOCKED_HOST:-127.0.0.7}
export GM_SUSPENDED_HOST=$suspended GM_CBLOCKED_HOST=$cblocked

gm_interop_init moderation "$@"
gm_interop_start
# Peers are addressed by IP: the "domain" to block is the host of their actor URLs.
for cmd in "block add $suspended --reason interop-test" \
  "block add $cblocked --community interop --reason interop-test"; do
  # shellcheck disable=SC2086 # the words are split on purpose
  if out=$("$gm" -c "$tmp/gm.conf" $cmd 2> "$tmp/cli.err"); then
    echo "ok - gemeinde $cmd: $out"
  else
    echo "not ok - gemeinde $cmd failed: $out $(cat "$tmp/cli.err")"
    result=1
    gm_interop_finish
  fi
done
started=$(date +%s%N)
"$node" "$here/moderation_peer.mjs" "http://127.0.0.1:$port" interop "$gm" "$tmp/gm.conf"
result=$?
echo "# peer script took $(( ($(date +%s%N) - started) / 1000000 )) ms"
# What the daemon logged (info level): the Follows from the suspended addresses were verified
# and rejected, eve's post was refused before any signature work, maria's commands ran, alice's
# message was kept for the moderators, and no delivery failed, was dropped, retried or
# knocked twice (nothing queued for a suspended domain but its Reject).
gm_interop_expect_log "membership: http://127.0.0.2:[0-9]*/users/alice joins interop" \
  "membership: Follow of interop by http://${suspended//./\\.}:[0-9]*/users/eve rejected (banned or suspended)" \
  "membership: Follow of interop by http://${cblocked//./\\.}:[0-9]*/users/frank rejected (banned or suspended)" \
  "inbox /c/interop/inbox from 127.0.0.1 refused (.*): the actor's domain is blocked" \
  "dm: interop: moderator http://127.0.0.3:[0-9]*/users/maria: stats" \
  "dm: interop: moderator http://127.0.0.3:[0-9]*/users/maria: ban http://127.0.0.4:[0-9]*/users/sam 1 spam" \
  "membership: Follow of interop by http://127.0.0.4:[0-9]*/users/sam rejected (banned or suspended)" \
  "dm: interop: message from http://127.0.0.2:[0-9]*/users/alice kept in the moderator inbox"
gm_interop_no_delivery_problems
echo "# daemon's membership and dm lines:"
grep -E "membership: |dm: |refused" "$tmp/daemon.log" | sed 's/^/#   /'
gm_interop_finish
