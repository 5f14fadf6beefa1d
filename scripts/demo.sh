#!/bin/sh
# The README's demo command: installs what is missing, builds, and runs real jobs:
# compresses a set of generated log files on four worker processes, then streams
# 100,000 in-process tasks through the rings on both backends, and shows what a crashing
# task does to each (ringrun bench --quick).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ringrun="$(pwd)/${RINGRUN_BUILD_DIR:-build}/ringrun"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
for i in 1 2 3 4 5 6 7 8; do
    seq 1 200000 | sed "s/^/log line $i: request served in /" > "app-$i.log"
done
echo "== ringrun -j4 gzip -9 {} ::: *.log"
"$ringrun" -j4 gzip -9 {} ::: *.log
ls -l ./*.gz
echo "== ringrun -j4 'gzip -l {} | tail -1' ::: *.gz"
"$ringrun" -j4 'gzip -l {} | tail -1' ::: *.gz
for backend in processes threads; do
    echo "== seq 100000 | ringrun --backend $backend --task noop"
    start=$(date +%s.%N)
    seq 100000 | "$ringrun" --backend "$backend" --task noop
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "100000 tasks in %.2f s (%.0f tasks/s)\n", e - s, 100000 / (e - s) }'
done
echo "== ringrun bench --quick --only noop --only crash   (processes vs threads; a task crashes once in 1000)"
"$ringrun" bench --quick --only noop --only crash 2>/dev/null
