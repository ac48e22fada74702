#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Browser test of the admin dashboard: start a gemeinde daemon on loopback (the interop tests'
# daemon.sh) with an admin_token and one community whose unanswered_minutes is 0, then run
# dashboard.mjs: Fedify peers on 127.0.0.2-5 make traffic (traffic.mjs), and headless Chromium
# (Debian's /usr/bin/chromium, driven by the pinned playwright-core) logs in to the dashboard,
# checks figures, charts, the unanswered list, the phone layout, the security headers, logout
# and the public page, and saves screenshots to ARTIFACT_DIR.
#
# usage: run_dashboard.sh GEMEINDE_BINARY ARTIFACT_DIR
# Exit status: 0 if every check passed, non-zero otherwise; a missing Chromium or a missing
# node_modules (here or in tests/interop) is a failure with a message saying what to install.
set -u
browser_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$browser_dir/../interop/daemon.sh"

if [ $# -ne 2 ]; then
  echo "usage: $0 GEMEINDE_BINARY ARTIFACT_DIR" >&2
  exit 2
fi
artifacts=$2
case $artifacts in /*) ;; *) artifacts=$PWD/$artifacts ;; esac
chromium=${GM_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "not ok - no Chromium at $chromium: install Debian's package (apt-get install chromium," >&2
  echo "         as scripts/deps.sh --test does) or set GM_CHROMIUM to a Chromium binary" >&2
  exit 1
fi
if [ ! -f "$browser_dir/node_modules/playwright-core/package.json" ]; then
  echo "not ok - $browser_dir/node_modules is missing or incomplete (playwright-core)." >&2
  echo "         Run 'npm ci' in tests/browser first:  (cd $browser_dir && npm ci)" >&2
  exit 1
fi
mkdir -p "$artifacts" || exit 1

gm_interop_init dashboard "$1" # checks tests/interop/node_modules (Fedify, Node 22) too
token=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
wrong=wrong-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
gm_interop_conf_extra="admin_token = $token"
title="Browser test"
gm_interop_start --title "$title" --summary "Where the dashboard is tried out" --rule "Be kind"
echo "# gemeinde community set interop --unanswered-minutes 0"
if ! "$gm" -c "$tmp/gm.conf" community set interop --unanswered-minutes 0 > set.log 2>&1; then
  echo "not ok - gemeinde community set interop --unanswered-minutes 0 failed:"
  sed 's/^/  | /' set.log
  exit 1
fi

started=$(date +%s%N)
GM_ADMIN_TOKEN=$token GM_WRONG_TOKEN=$wrong GM_EXPECT_TITLE=$title GM_CHROMIUM=$chromium \
  "$node" "$browser_dir/dashboard.mjs" "http://127.0.0.1:$port" interop "$gm" "$tmp/gm.conf" "$artifacts"
result=$?
echo "# dashboard.mjs took $(( ($(date +%s%N) - started) / 1000000 )) ms"

# The logins were logged with the client's address, and neither token was written anywhere.
gm_interop_expect_log "admin: failed dashboard login from 127.0.0.1" \
  "admin: dashboard login from 127.0.0.1" \
  "membership: http://127.0.0.2:[0-9]*/users/alice joins interop" \
  "rules: http://127.0.0.5:[0-9]*/users/dave left interop"
if grep -qF -e "$token" -e "$wrong" "$tmp/daemon.log"; then
  echo "not ok - the daemon log contains a token that was typed into the login form"
  result=1
else
  echo "ok - the daemon log contains neither the admin token nor the wrong one"
fi
gm_interop_no_delivery_problems
ls "$artifacts"/*.png 2>/dev/null | sed 's/^/# artifact: /'
gm_interop_finish
