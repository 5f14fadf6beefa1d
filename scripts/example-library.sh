#!/bin/sh
# Installs the built library (cmake --install of build/, or $RINGRUN_BUILD_DIR) into a
# scratch prefix, then builds examples/library against the installed package twice,
# with find_package(ringrun) and with pkg-config, and runs both. Touches nothing
# outside the scratch prefix.
set -eu
cd "$(dirname "$0")/.."
build_dir="${RINGRUN_BUILD_DIR:-build}"
prefix="$(mktemp -d /tmp/ringrun-prefix.XXXXXX)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
cmake -S examples/library -B "$prefix/example" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
ninja -C "$prefix/example"
echo "== examples/library built with find_package(ringrun):"
LD_LIBRARY_PATH="$prefix/lib" "$prefix/example/checksums"
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" c++ -O2 -o "$prefix/checksums-pc" examples/library/checksums.cpp \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs ringrun)
echo "== examples/library built with pkg-config:"
LD_LIBRARY_PATH="$prefix/lib" "$prefix/checksums-pc"
