#!/bin/sh
# Builds examples/library against an installed ringrun twice, with find_package(ringrun)
# and with pkg-config, and runs both. With no argument it first installs the CMake build
# (build/, or $RINGRUN_BUILD_DIR) into a scratch prefix, removed afterwards; given a
# prefix (Meson's install, in CI) it uses that. Writes nothing outside the prefix.
set -eu
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then
    prefix="$1"
else
    prefix="$(mktemp -d /tmp/ringrun-prefix.XXXXXX)"
    trap 'rm -rf "$prefix"' EXIT
    cmake --install "${RINGRUN_BUILD_DIR:-build}" --prefix "$prefix" >/dev/null
fi
cmake -S examples/library -B "$prefix/example" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
ninja -C "$prefix/example"
echo "== examples/library built with find_package(ringrun) from $prefix:"
LD_LIBRARY_PATH="$prefix/lib" "$prefix/example/checksums"
c++ -O2 -o "$prefix/checksums-pc" examples/library/checksums.cpp \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs ringrun)
echo "== examples/library built with pkg-config from $prefix:"
LD_LIBRARY_PATH="$prefix/lib" "$prefix/checksums-pc"
