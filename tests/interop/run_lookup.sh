#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Interop test: start a gemeinde daemon on loopback with one community and let Fedify
# (tests/interop/lookup_group.mjs) discover and parse it.
#
# usage: run_lookup.sh GEMEINDE_BINARY
# Exit status: 0 if every check passed, non-zero otherwise.
# Needs `npm ci` in tests/interop first (it does not install anything by itself).
set -u
source "$(dirname "${BASH_SOURCE[0]}")/daemon.sh"

gm_interop_init lookup "$@"
gm_interop_start --title "Interop test" --summary "A <b>test</b> group" --rule "Be kind" \
  --rule "No spam"
GM_EXPECT_NAME="Interop test" "$node" "$here/lookup_group.mjs" "http://127.0.0.1:$port" interop
result=$?
gm_interop_finish
