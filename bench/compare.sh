#!/bin/bash
# Runs ringrun side by side with its anchors on this machine, in one go, and writes the
# table to docs/benchmarks.md (ratios included: absolute times on shared machines drift).
#   1. 3000 x `true N`, 2 at a time: ringrun, xargs -P2 -n1, GNU parallel -j2, and the
#      machine's limit (two concurrent posix_spawn+waitpid loops in C, bench/spawn_loop.c)
#   2. 1,000,000 no-op tasks each: ringrun processes, ringrun threads, Python's
#      multiprocessing.Pool.imap_unordered, chunksize 1
#   3. the ring between two processes (Google Benchmark): records/s, round trip p50/p99
#   4. peak RSS of `seq 10000000 | ringrun --task noop`, and of
#      `seq 10000000 | ringrun -j2 --joblog /dev/null true` over its first seconds
#   5. start-up: `ringrun true ::: 1` against `parallel true ::: 1`
#   6. what a {= perl expression =} costs a job, against GNU parallel
#   7. a 10,000-instance pipeline (5000 noop tasks, then 5000 more that each need one)
#      against the same 10,000 noop tasks without a pipeline: the scheduling overhead
# Usage: bench/compare.sh [--quick]   (--quick: smaller counts, for a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
scripts/build.sh >/dev/null
ringrun="$(pwd)/build/ringrun"
out=docs/benchmarks.md
quick=${1:-}
true_jobs=3000; noop_tasks=1000000; rss_lines=10000000; reps=3; starts=20; true_rss_seconds=15
perl_jobs=200000; perl_jobs_gnu=2000
if [ "$quick" = "--quick" ]; then
    true_jobs=300; noop_tasks=100000; rss_lines=1000000; reps=1; starts=5; true_rss_seconds=3
    perl_jobs=20000; perl_jobs_gnu=200
fi

# Best wall time in seconds over $reps runs of a shell command line.
best_time() {
    local best="" t s e
    for _ in $(seq "$reps"); do
        s=$(date +%s.%N); bash -c "$1" >/dev/null; e=$(date +%s.%N)
        t=$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
    done
    echo "$best"
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

seq "$true_jobs" > /tmp/ringrun-bench-inputs
echo "3000 x true ..." >&2
t_ringrun=$(best_time "$ringrun -j2 true < /tmp/ringrun-bench-inputs")
t_xargs=$(best_time "xargs -P2 -n1 true < /tmp/ringrun-bench-inputs")
t_parallel=$(best_time "parallel -j2 true < /tmp/ringrun-bench-inputs")
cc -O2 -o /tmp/ringrun-spawn-loop bench/spawn_loop.c
half=$((true_jobs / 2))
t_limit=$(best_time "/tmp/ringrun-spawn-loop $half true 1 & /tmp/ringrun-spawn-loop $half true 1; wait")
r_ringrun=$(rate "$true_jobs" "$t_ringrun"); r_xargs=$(rate "$true_jobs" "$t_xargs"); r_parallel=$(rate "$true_jobs" "$t_parallel")
r_limit=$(rate "$((half * 2))" "$t_limit")

echo "no-op tasks ..." >&2
seq "$noop_tasks" > /tmp/ringrun-bench-tasks
t_proc=$(best_time "$ringrun -j2 --task noop < /tmp/ringrun-bench-tasks")
t_thr=$(best_time "$ringrun -j2 --backend threads --task noop < /tmp/ringrun-bench-tasks")
t_py=$(best_time "python3 -c '
import multiprocessing as mp
def noop(x): return None
if __name__ == \"__main__\":
    with mp.Pool(2) as pool:
        for _ in pool.imap_unordered(noop, range($noop_tasks), chunksize=1): pass
'")
r_proc=$(rate "$noop_tasks" "$t_proc"); r_thr=$(rate "$noop_tasks" "$t_thr"); r_py=$(rate "$noop_tasks" "$t_py")

echo "ring benchmark ..." >&2
./build/bench/ring_benchmark --benchmark_format=json --benchmark_min_time=1 > /tmp/ringrun-bench-ring.json 2>/dev/null
read -r ring_rate ring_p50 ring_p99 < <(python3 -c '
import json
b = {x["name"]: x for x in json.load(open("/tmp/ringrun-bench-ring.json"))["benchmarks"]}
t = b["BM_RingThroughputAcrossProcesses/64/real_time"]
r = b["BM_RingRoundTripAcrossProcesses/real_time"]
print(round(t["items_per_second"]), "%.2f" % r["p50_us"], "%.2f" % r["p99_us"])')

echo "peak RSS ..." >&2
rss_kb=$( { seq "$rss_lines" | /usr/bin/time -f "%M" "$ringrun" --task noop >/dev/null; } 2>&1 | tail -1)
# Ten million `true` jobs take over an hour: the run is interrupted (SIGINT: running jobs
# finish, the joblog is complete) after its input window and buffers reached full size.
true_rss_kb=$( { seq 10000000 | /usr/bin/time -f "%M" timeout -s INT "$true_rss_seconds" \
    "$ringrun" -j2 --joblog /tmp/ringrun-bench-joblog true >/dev/null || true; } 2>&1 | tail -1)
true_rss_jobs=$(($(wc -l < /tmp/ringrun-bench-joblog) - 1))

echo "pipeline overhead ..." >&2
cat > /tmp/ringrun-bench-pipeline.toml <<'TOML'
[job.work]
task = "noop"
payload = "{n}"
each = { n = { range = [1, 5000] } }
[job.after]
task = "noop"
payload = "{n}"
each = { n = { range = [1, 5000] } }
needs = ["work"]
TOML
seq 10000 > /tmp/ringrun-bench-10k
t_pipeline=$(best_time "$ringrun run /tmp/ringrun-bench-pipeline.toml -j2")
t_flat=$(best_time "$ringrun -j2 --task noop < /tmp/ringrun-bench-10k")
us_per_instance=$(awk -v p="$t_pipeline" -v f="$t_flat" 'BEGIN { printf "%.2f", (p - f) * 1e6 / 10000 }')

echo "perl expressions ..." >&2
# What {= perl =} adds per job: --dry-run with the expression against without it (GNU
# parallel's --dry-run is slow here, about 3 ms a job: it gets fewer inputs).
seq "$perl_jobs" > /tmp/ringrun-bench-perl
seq "$perl_jobs_gnu" > /tmp/ringrun-bench-perl-gnu
t_perl_ringrun=$(best_time "$ringrun -k --dry-run echo '{= s/1/x/ =}' < /tmp/ringrun-bench-perl")
t_plain_ringrun=$(best_time "$ringrun -k --dry-run echo '{}' < /tmp/ringrun-bench-perl")
t_perl_gnu=$(best_time "parallel -k --dry-run echo '{= s/1/x/ =}' < /tmp/ringrun-bench-perl-gnu")
t_plain_gnu=$(best_time "parallel -k --dry-run echo '{}' < /tmp/ringrun-bench-perl-gnu")
us_perl_ringrun=$(awk -v a="$t_perl_ringrun" -v b="$t_plain_ringrun" -v n="$perl_jobs" 'BEGIN { printf "%.2f", (a - b) * 1e6 / n }')
us_perl_gnu=$(awk -v a="$t_perl_gnu" -v b="$t_plain_gnu" -v n="$perl_jobs_gnu" 'BEGIN { printf "%.2f", (a - b) * 1e6 / n }')
us_job_ringrun=$(awk -v a="$t_perl_ringrun" -v n="$perl_jobs" 'BEGIN { printf "%.2f", a * 1e6 / n }')
us_job_gnu=$(awk -v a="$t_perl_gnu" -v n="$perl_jobs_gnu" 'BEGIN { printf "%.2f", a * 1e6 / n }')

echo "start-up ..." >&2
t_start_ringrun=$(best_time "for i in \$(seq $starts); do $ringrun true ::: 1; done")
t_start_parallel=$(best_time "for i in \$(seq $starts); do parallel --will-cite true ::: 1; done")
ms_start_ringrun=$(awk -v t="$t_start_ringrun" -v n="$starts" 'BEGIN { printf "%.1f", 1000 * t / n }')
ms_start_parallel=$(awk -v t="$t_start_parallel" -v n="$starts" 'BEGIN { printf "%.1f", 1000 * t / n }')

cat > "$out" <<MD
# Benchmarks

Written by \`bench/compare.sh\` on $(date -u +%Y-%m-%d) on this machine ($(nproc) cores,
$(uname -r)); every row of a table was run side by side in the same invocation, best of $reps.
Ratios matter more than absolute figures: shared machines drift.

## 3000 × \`true\`, 2 at a time ($true_jobs jobs)

| runner | jobs/s | ringrun's ratio to it |
| --- | ---: | ---: |
| ringrun \`-j2 true\` | $r_ringrun | 1.00 |
| \`xargs -P2 -n1 true\` | $r_xargs | $(ratio "$r_ringrun" "$r_xargs") |
| GNU parallel \`-j2 true\` ($(parallel --version | head -1 | awk '{print $3}')) | $r_parallel | $(ratio "$r_ringrun" "$r_parallel") |
| the machine's limit: two posix_spawn+waitpid loops in C, \`true 1\` | $r_limit | $(ratio "$r_ringrun" "$r_limit") |

Each runner appends the input, so every job is \`true N\`; with an argument, coreutils'
\`true\` loads the locale, which makes the command itself most of each job's cost.

## No-op in-process tasks, 2 workers, each dispatched and gathered one by one

| runner | tasks/s | ringrun processes' ratio to it |
| --- | ---: | ---: |
| ringrun \`--task noop\`, processes ($noop_tasks tasks) | $r_proc | 1.00 |
| ringrun \`--task noop\`, threads ($noop_tasks tasks) | $r_thr | $(ratio "$r_proc" "$r_thr") |
| Python \`Pool.imap_unordered\`, chunksize 1 ($noop_tasks tasks) | $r_py | $(ratio "$r_proc" "$r_py") |

## The ring between two processes (\`build/bench/ring_benchmark\`)

| measure | figure |
| --- | ---: |
| one-way, 64-byte records | $ring_rate records/s |
| round trip p50 | $ring_p50 µs |
| round trip p99 | $ring_p99 µs |

## Memory

| run | peak RSS |
| --- | ---: |
| \`seq $rss_lines \| ringrun --task noop\` (supervisor) | $((rss_kb / 1024)) MiB |
| \`seq 10000000 \| ringrun -j2 --joblog FILE true\`, its largest process, over the first $true_rss_seconds s ($true_rss_jobs jobs) | $((true_rss_kb / 1024)) MiB |

## Start-up (mean of $starts runs, best of $reps)

| command | ms per run | ringrun's speed-up |
| --- | ---: | ---: |
| \`ringrun true ::: 1\` | $ms_start_ringrun | 1.00 |
| \`parallel true ::: 1\` | $ms_start_parallel | $(ratio "$ms_start_parallel" "$ms_start_ringrun") |

## \`{= perl expression =}\` (\`--dry-run\`, best of $reps)

| runner | µs a job, \`echo '{= s/1/x/ =}'\` | of which the expression |
| --- | ---: | ---: |
| ringrun ($perl_jobs jobs; one perl for the run, batches of 256) | $us_job_ringrun | $us_perl_ringrun |
| GNU parallel ($perl_jobs_gnu jobs) | $us_job_gnu | $us_perl_gnu |

## Pipelines (\`ringrun run\`)

| run | wall time |
| --- | ---: |
| 10,000-instance pipeline of noop tasks (5000, then 5000 each needing one), planned and run | $(awk -v t="$t_pipeline" 'BEGIN { printf "%.1f ms", t * 1000 }') |
| the same 10,000 noop tasks without a pipeline | $(awk -v t="$t_flat" 'BEGIN { printf "%.1f ms", t * 1000 }') |
| scheduling overhead per instance (parsing, planning, dependencies, state file) | $us_per_instance µs |
MD
cat "$out"
