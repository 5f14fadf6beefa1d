#!/bin/bash
# The library's figures, side by side with Python's multiprocessing on this machine, in
# one go: `ringrun bench --json` (the processes-versus-threads matrix through
# ringrun::Pool), then Python's Pool.imap_unordered (chunksize 1),
# ProcessPoolExecutor.submit and Pool.apply round trips, each timed inside Python around
# its loop only (as ringrun bench times its map, without start-up). The no-op throughputs
# of both, ringrun's and Python's, are the median of three runs: the host drifts by a
# third from one minute to the next. Writes docs/benchmarks-library.md.
# Usage: bench/library_compare.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
scripts/build.sh >/dev/null
ringrun="$(pwd)/build/ringrun"
out=docs/benchmarks-library.md
quick=${1:-}
py_tasks=200000; py_submits=100000; py_applies=20000
if [ "$quick" = "--quick" ]; then py_tasks=20000; py_submits=10000; py_applies=2000; fi

echo "ringrun bench ..." >&2
"$ringrun" bench --json $quick > /tmp/ringrun-bench.json
for run in 2 3; do
    echo "ringrun bench --only noop (run $run of 3) ..." >&2
    "$ringrun" bench --json --only noop $quick > /tmp/ringrun-bench-noop-$run.json
done

echo "fork loop (what one recycle costs at the least) ..." >&2
cat > /tmp/ringrun-fork-loop.c <<'C'
#include <stdio.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    struct timespec a, b;
    const int n = 5000;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; ++i) {
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        waitpid(pid, NULL, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("{\"forks_per_second\": %.0f}\n", n / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9));
    return 0;
}
C
cc -O2 -o /tmp/ringrun-fork-loop /tmp/ringrun-fork-loop.c
/tmp/ringrun-fork-loop > /tmp/ringrun-bench-forks.json

echo "codec_benchmark (one task's messages on one core) ..." >&2
build/bench/codec_benchmark --benchmark_format=json --benchmark_min_time=0.5 \
    > /tmp/ringrun-bench-codec.json 2>/dev/null

echo "Python anchors ..." >&2
python3 - "$py_tasks" "$py_submits" "$py_applies" > /tmp/ringrun-bench-python.json <<'PY'
import concurrent.futures as cf, json, multiprocessing as mp, sys, time
def noop(x): return None
if __name__ == "__main__":
    tasks, submits, applies = map(int, sys.argv[1:])
    out = {}
    median = lambda xs: sorted(xs)[len(xs) // 2]
    with mp.Pool(2) as pool:
        rates = []
        for _ in range(3):
            t = time.perf_counter()
            for _ in pool.imap_unordered(noop, range(tasks), chunksize=1): pass
            rates.append(tasks / (time.perf_counter() - t))
        out["imap_unordered"] = median(rates)
        lat = []
        for i in range(applies):
            t = time.perf_counter(); pool.apply(noop, (i,)); lat.append(time.perf_counter() - t)
        lat.sort()
        out["apply_p50_us"] = lat[len(lat) // 2] * 1e6
        out["apply_p99_us"] = lat[len(lat) * 99 // 100] * 1e6
    with cf.ProcessPoolExecutor(2) as ex:
        rates = []
        for _ in range(3):
            t = time.perf_counter()
            for f in [ex.submit(noop, i) for i in range(submits)]: f.result()
            rates.append(submits / (time.perf_counter() - t))
        out["executor_submit"] = median(rates)
    print(json.dumps(out))
PY

python3 - "$out" <<'PY'
import json, subprocess, sys
bench = json.load(open("/tmp/ringrun-bench.json"))
py = json.load(open("/tmp/ringrun-bench-python.json"))
codec = {b["name"]: b["real_time"] for b in json.load(open("/tmp/ringrun-bench-codec.json"))["benchmarks"]}
cells = {(c["backend"], c["workload"]): c for c in bench["cells"]}
proc, thr = cells[("processes", "noop")], cells[("threads", "noop")]
# The no-op rate: the median of this run's and two more runs' of the no-op row alone.
for cell in (proc, thr):
    rates = [cell["tasks_per_second"]] + [
        c["tasks_per_second"] for run in (2, 3)
        for c in json.load(open(f"/tmp/ringrun-bench-noop-{run}.json"))["cells"]
        if (c["backend"], c["workload"]) == (cell["backend"], cell["workload"])]
    cell["noop_runs"] = sorted(rates)
    cell["tasks_per_second"] = sorted(rates)[1]
    # The machine's core round trip and cpu loop before each of the three runs, in run order.
    for key in ("core_round_trip_ns", "core_loop_ns"):
        cell[key + "_runs"] = [cell[key]] + [
            c[key] for run in (2, 3)
            for c in json.load(open(f"/tmp/ringrun-bench-noop-{run}.json"))["cells"]
            if (c["backend"], c["workload"]) == (cell["backend"], cell["workload"])]
recycled = cells[("processes", "noop recycled/100")]["tasks_per_second"]
forks = json.load(open("/tmp/ringrun-bench-forks.json"))["forks_per_second"]
def f(x, fmt="{:,.0f}"): return "-" if x is None else fmt.format(x)
def loop(xs): return "/".join(f"{x:.2f}" for x in xs) or "-"
def r(a, b): return "-" if not a or not b else "{:.2f}".format(a / b)
date = subprocess.run(["date", "-u", "+%Y-%m-%d"], capture_output=True, text=True).stdout.strip()
uname = subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout.strip()
lines = [
    "# Library benchmarks (ringrun::Pool)", "",
    f"Written by `bench/library_compare.sh` on {date} on this machine ({bench['cores']} cores, {uname}),",
    f"{bench['workers']} workers in every pool; all rows come from the same invocation.",
    "Ratios matter more than absolute figures: shared machines drift.", "",
    "## No-op tasks, each dispatched and gathered on its own", "",
    "Each rate is the median of three runs, ringrun's and Python's alike (ringrun's three, processes:",
    f"{', '.join(f(x) for x in proc['noop_runs'])}; threads: {', '.join(f(x) for x in thr['noop_runs'])}).",
    "A cache line's round trip between the two cores, measured before each of the three runs",
    f"(ns; processes: {', '.join(f(x) for x in proc['core_round_trip_ns_runs'])}; threads: {', '.join(f(x) for x in thr['core_round_trip_ns_runs'])}): the host",
    "moves a virtual machine's cores between about 60 ns and 470 ns apart, and with them the",
    "no-op rate: 6–7 M/s near and about 5.5 M/s far, on processes and threads alike.",
    "A fixed loop's ns per iteration on each core, before each run (processes:",
    f"{', '.join(loop(x) for x in proc['core_loop_ns_runs'])}; threads: {', '.join(loop(x) for x in thr['core_loop_ns_runs'])}): it rises, and",
    "every rate falls, while the host gives part of a core to something else",
    "(docs/design-notes.md, \"Where the host puts the two cores\").", "",
    "| runner | tasks/s | ringrun processes' ratio to it |", "| --- | ---: | ---: |",
    f"| ringrun::Pool::map, processes | {f(proc['tasks_per_second'])} | 1.00 |",
    f"| ringrun::Pool::map, threads | {f(thr['tasks_per_second'])} | {r(proc['tasks_per_second'], thr['tasks_per_second'])} |",
    f"| Python `Pool.imap_unordered`, chunksize 1 | {f(py['imap_unordered'])} | {r(proc['tasks_per_second'], py['imap_unordered'])} |",
    f"| Python `ProcessPoolExecutor.submit` | {f(py['executor_submit'])} | {r(proc['tasks_per_second'], py['executor_submit'])} |",
    "",
    "Workers recycled every 100 tasks (`max_tasks_per_worker = 100`, the matrix's row "
    f"`noop recycled/100`): {f(recycled)} tasks/s, {100 * recycled / proc['tasks_per_second']:.1f}% "
    f"of the no-op rate: {f(recycled / 100)} workers forked and retired a second. Each recycle is a "
    "fork and an exit, which no figure of the rings can hide: a bare fork, exit and wait loop in C "
    f"does {f(forks)} a second here, one at a time.",
    "", "## One no-op task's round trip", "",
    "| runner | p50 µs | p99 µs |", "| --- | ---: | ---: |",
    f"| ringrun `Pool::apply`, processes | {f(proc['round_trip_p50_us'], '{:.1f}')} | {f(proc['round_trip_p99_us'], '{:.1f}')} |",
    f"| ringrun `Pool::apply`, threads | {f(thr['round_trip_p50_us'], '{:.1f}')} | {f(thr['round_trip_p99_us'], '{:.1f}')} |",
    f"| Python `Pool.apply` | {f(py['apply_p50_us'], '{:.1f}')} | {f(py['apply_p99_us'], '{:.1f}')} |",
    "", "## The floor: one no-op task's two records on one core (`codec_benchmark`)", "",
    "| what | ns per task |", "| --- | ---: |",
    f"| compact task records (what the pool sends) written in ring records, read back and decoded | {codec['BM_NoopTaskCompactRecordsOnOneCore']:.0f} |",
    f"| the same as Cap'n Proto messages (what commands go as) built in place, read back and decoded | {codec['BM_NoopTaskMessagesOnOneCore']:.0f} |",
    f"| records of the messages' sizes copied through the rings, neither encoded nor decoded | {codec['BM_NoopTaskRecordsWithoutMessagesOnOneCore']:.0f} |",
    "",
    "Every task costs at least the first figure of CPU in all (the supervisor's half and the",
    "worker's half together), before any bookkeeping and without a cache line crossing cores,",
    f"which caps a pool on 2 cores at {2e3 / codec['BM_NoopTaskCompactRecordsOnOneCore']:.1f} M tasks/s. As messages the cap was {2e3 / codec['BM_NoopTaskMessagesOnOneCore']:.1f} M/s, and with",
    "the supervisor's bookkeeping and the cache lines that cross cores added, the pool ran at",
    f"{proc['tasks_per_second'] / 1e6:.1f} M/s here (above; docs/design-notes.md, \"Compact task records\").",
    "", "## The whole matrix (`ringrun bench`, the first of the three runs; its no-op rows show the median)", "",
    "| backend | workload | tasks/s | p50 µs | p99 µs | start-up ms | peak MiB | core rt ns | cpu loop ns | what a crash did |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
]
for c in bench["cells"]:
    lines.append(f"| {c['backend']} | {c['workload']} | {f(c['tasks_per_second'])} | "
                 f"{f(c['round_trip_p50_us'], '{:.1f}')} | {f(c['round_trip_p99_us'], '{:.1f}')} | "
                 f"{f(c['startup_ms'], '{:.2f}')} | {c['peak_memory_bytes'] / 2**20:.1f} | "
                 f"{f(c['core_round_trip_ns'])} | {loop(c['core_loop_ns'])} | {c['crash_outcome']} |")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
cat "$out"
