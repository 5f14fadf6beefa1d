#!/bin/sh
# Configures and builds ringrun with CMake and Ninja into build/ (or $RINGRUN_BUILD_DIR).
# Extra arguments go to cmake's configure step. Never installs anything.
set -eu
cd "$(dirname "$0")/.."
build_dir="${RINGRUN_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
ninja -C "$build_dir"
