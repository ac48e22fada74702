#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# deps.sh - install the Debian 12 packages gemeinde needs, only those missing.
#   scripts/deps.sh          build and run
#   scripts/deps.sh --test   also what the test suite needs (cmocka, clang/libFuzzer, npm,
#                            chromium for the browser test)
set -euo pipefail

pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libcurl4-openssl-dev libssl-dev
      libjansson-dev liblmdb-dev)
if [ "${1:-}" = "--test" ]; then
    pkgs+=(libcmocka-dev clang libclang-rt-14-dev chromium)
    command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
