#!/bin/bash
# Soak: runs the chaos test (tests/chaos_test.cpp: 20,000 jobs on -j4, a random worker
# SIGKILLed every few milliseconds) again and again for N minutes, outside the suite, and
# prints the kills survived and the jobs checked. Stops at the first failure (exit 1).
# Usage: scripts/chaos.sh [--minutes N] [--jobs N]   (defaults: 5 minutes, 20000 jobs)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=5
jobs=20000
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        *) echo "usage: scripts/chaos.sh [--minutes N] [--jobs N]" >&2; exit 255 ;;
    esac
done
scripts/build.sh >/dev/null
binary="${RINGRUN_BUILD_DIR:-build}/tests/chaos_test"
deadline=$(( $(date +%s) + minutes * 60 ))
rounds=0; kills=0; checked=0
while [ "$(date +%s)" -lt "$deadline" ]; do
    rounds=$((rounds + 1))
    if ! output=$(RINGRUN_CHAOS_JOBS="$jobs" RINGRUN_TEST_WATCHDOG_SECONDS=600 "$binary" 2>&1); then
        echo "$output" | tail -30
        echo "chaos: round $rounds FAILED after $kills kills survived and $checked jobs checked" >&2
        exit 1
    fi
    line=$(echo "$output" | grep '^chaos: kills=' | head -1)
    k=$(echo "$line" | sed 's/.*kills=\([0-9]*\).*/\1/'); j=$(echo "$line" | sed 's/.*jobs=\([0-9]*\).*/\1/')
    kills=$((kills + k)); checked=$((checked + j))
    echo "chaos: round $rounds: $k kills, $j jobs each recorded exactly once ($kills kills, $checked jobs so far)"
done
echo "chaos: $rounds rounds in $minutes minutes: $kills worker kills survived, $checked jobs checked, none lost or duplicated"
