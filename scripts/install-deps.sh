#!/bin/sh
# Installs the Debian packages ringrun needs to build, test and benchmark.
# Idempotent: installs only what is missing, and never touches anything else.
# Usage: scripts/install-deps.sh [--bench]   (--bench adds python3 and GNU time)
# GNU parallel and tmux are test dependencies: the differential suite compares ringrun
# with GNU parallel, and the progress bar is tested on a real terminal in tmux.
set -eu

packages="g++ cmake ninja-build meson pkg-config capnproto libcapnp-dev \
libboost-dev libcli11-dev libtomlplusplus-dev libgtest-dev libgmock-dev \
libbenchmark-dev clang-format clang parallel tmux"
if [ "${1:-}" = "--bench" ]; then
    packages="$packages python3 findutils time"
fi

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
