#!/bin/sh
# Install the Debian packages tierline needs to build, test and run its demo.
# Idempotent: asks dpkg first and only calls apt-get for what is missing.
# Uses sudo when not root.  Safe to run on every `make test` / `make demo`.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libevent-dev libsqlite3-dev sqlite3 libsndfile1-dev libcmocka-dev
libspandsp-dev libjansson-dev graphviz python3 python3-simpy tmux"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install-deps: not root and no sudo; please install:$missing" >&2
		exit 2
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
