#!/bin/sh
# The README's test command: installs what is missing, builds, builds and runs the
# library example against the installed package, runs the whole suite with ctest (whose
# summary closes the output). Exit status is ctest's.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/example-library.sh  # the installed library, used as a program would
cd "${RINGRUN_BUILD_DIR:-build}"
ctest -j2 --output-on-failure
