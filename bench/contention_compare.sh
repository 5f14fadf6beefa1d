#!/bin/bash
# ringrun on a shared machine, side by side with its anchors, in one run: each row quiet,
# with one CPU-bound hog process beside it and with two (`sh -c 'while :; do :; done'`,
# started and killed by this script). Writes docs/benchmarks-contention.md.
#   - no-op tasks: `ringrun -j2 --task noop` on processes and on threads (1,000,000 from a
#     file), the library's Pool::map (`ringrun bench --only noop`), Python's
#     multiprocessing.Pool.imap_unordered (chunksize 1) and ProcessPoolExecutor.submit
#   - commands: `ringrun -j2 true` against `xargs -P2 -n1 true`, 3000 inputs
#   - CPU seconds (user + system, every process) per million no-op tasks
# Every figure is the median of 5 rounds; within a round the runners alternate.
# Usage: bench/contention_compare.sh [--quick]   (--quick: 1 round, smaller counts)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
scripts/build.sh >/dev/null
python3 - "$(pwd)/build/ringrun" docs/benchmarks-contention.md "${1:-}" <<'PY'
import json, os, resource, statistics, subprocess, sys, time

ringrun, out, quick = sys.argv[1], sys.argv[2], sys.argv[3] == "--quick"
rounds = 1 if quick else 5
noop_tasks = 100_000 if quick else 1_000_000
py_tasks, py_submits, true_jobs = (20_000, 5_000, 300) if quick else (100_000, 20_000, 3000)
with open("/tmp/ringrun-contention-tasks", "w") as f:
    f.write("".join(f"{i}\n" for i in range(1, noop_tasks + 1)))
with open("/tmp/ringrun-contention-true", "w") as f:
    f.write("".join(f"{i}\n" for i in range(1, true_jobs + 1)))

PYTHON_ANCHOR = r'''
import concurrent.futures as cf, json, multiprocessing as mp, sys, time
def noop(x): return None
if __name__ == "__main__":
    kind, n = sys.argv[1], int(sys.argv[2])
    if kind == "imap":
        with mp.Pool(2) as pool:
            t = time.perf_counter()
            for _ in pool.imap_unordered(noop, range(n), chunksize=1): pass
            print(n / (time.perf_counter() - t))
    else:
        with cf.ProcessPoolExecutor(2) as ex:
            t = time.perf_counter()
            for f in [ex.submit(noop, i) for i in range(n)]: f.result()
            print(n / (time.perf_counter() - t))
'''

def timed(argv, stdin_path=None, count=None):
    """Runs argv; returns (rate by wall time, CPU seconds of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    stdin = open(stdin_path) if stdin_path else subprocess.DEVNULL
    t = time.perf_counter()
    result = subprocess.run(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"{argv[0]} failed with {result.returncode}")
    return (count / wall if count else float(result.stdout)), cpu, result.stdout

def library_rate():
    _, _, text = timed([ringrun, "bench", "--only", "noop", "--json"], count=1)
    cells = json.loads(text)["cells"]
    return {c["backend"]: c for c in cells if c["workload"] == "noop"}

rows = {}
def add(scenario, name, rate, cpu=None):
    rows.setdefault((scenario, name), []).append((rate, cpu))

for hogs in (0, 1, 2):
    scenario = ["quiet", "one hog", "two hogs"][hogs]
    print(f"{scenario} ...", file=sys.stderr)
    procs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(hogs)]
    try:
        time.sleep(0.3)
        for _ in range(rounds):
            for backend in ("processes", "threads"):
                rate, cpu, _ = timed([ringrun, "-j2", "--backend", backend, "--task", "noop"],
                                     "/tmp/ringrun-contention-tasks", noop_tasks)
                add(scenario, f"ringrun {backend} (CLI)", rate, cpu * 1e6 / noop_tasks)
            for backend, cell in library_rate().items():
                add(scenario, f"ringrun {backend} (Pool::map)", cell["tasks_per_second"],
                    cell.get("cpu_seconds_per_million"))
            rate, _, _ = timed(["python3", "-c", PYTHON_ANCHOR, "imap", str(py_tasks)])
            add(scenario, "Python Pool.imap_unordered", rate)
            rate, _, _ = timed(["python3", "-c", PYTHON_ANCHOR, "submit", str(py_submits)])
            add(scenario, "Python ProcessPoolExecutor.submit", rate)
            rate, cpu, _ = timed([ringrun, "-j2", "true"], "/tmp/ringrun-contention-true", true_jobs)
            add(scenario, "ringrun -j2 true", rate)
            rate, cpu, _ = timed(["xargs", "-P2", "-n1", "true"], "/tmp/ringrun-contention-true",
                                 true_jobs)
            add(scenario, "xargs -P2 -n1 true", rate)
    finally:
        for p in procs:
            p.kill()
            p.wait()

def median(scenario, name, i=0):
    values = [v[i] for v in rows[(scenario, name)] if v[i] is not None]
    return statistics.median(values) if values else None

scenarios = ["quiet", "one hog", "two hogs"]
fmt = lambda v: "-" if v is None else f"{v:,.0f}"
lines = [
    "# ringrun on a shared machine",
    "",
    f"Written by `bench/contention_compare.sh` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    f" on this machine ({os.cpu_count()} cores). A hog is `sh -c 'while :; do :; done'`, started"
    " beside the run. Every figure is the median of"
    f" {rounds} rounds; within a round the runners alternate. No-op tasks: {noop_tasks:,} for"
    f" ringrun's command line, 2,000,000 for `ringrun bench`'s Pool::map, {py_tasks:,} for"
    f" imap_unordered and {py_submits:,} for ProcessPoolExecutor.submit (timed inside Python).",
    "",
    "## No-op tasks, 2 workers (tasks/s)",
    "",
    "| runner | " + " | ".join(scenarios) + " |",
    "| --- | ---: | ---: | ---: |",
]
names = ["ringrun processes (CLI)", "ringrun threads (CLI)", "ringrun processes (Pool::map)",
         "ringrun threads (Pool::map)", "Python Pool.imap_unordered",
         "Python ProcessPoolExecutor.submit"]
for name in names:
    lines.append(f"| {name} | " + " | ".join(fmt(median(s, name)) for s in scenarios) + " |")
imap = {s: median(s, "Python Pool.imap_unordered") for s in scenarios}
lines += ["", "ringrun processes (CLI) as a multiple of imap_unordered in the same conditions: " +
          ", ".join(f"{s} {median(s, 'ringrun processes (CLI)') / imap[s]:.0f}x" for s in scenarios)
          + "; Pool::map: " +
          ", ".join(f"{s} {median(s, 'ringrun processes (Pool::map)') / imap[s]:.0f}x"
                    for s in scenarios) + ".",
          "", "## CPU seconds per million no-op tasks (user + system, every process)", "",
          "| runner | " + " | ".join(scenarios) + " |", "| --- | ---: | ---: | ---: |"]
for name in names[:4]:
    lines.append(f"| {name} | " + " | ".join(
        "-" if median(s, name, 1) is None else f"{median(s, name, 1):.2f}" for s in scenarios) + " |")
quiet_wall = 1e6 / median("quiet", "ringrun processes (CLI)")
lines += ["", f"The quiet run's wall time per million on 2 cores is {quiet_wall:.2f} s x 2 ="
          f" {2 * quiet_wall:.2f} CPU seconds: a runner that never busy-waits while the other"
          " side is descheduled stays near it with hogs beside it.",
          "", f"## Commands: {true_jobs:,} x `true`, 2 at a time (jobs/s)", "",
          "| runner | " + " | ".join(scenarios) + " |", "| --- | ---: | ---: | ---: |"]
for name in ["ringrun -j2 true", "xargs -P2 -n1 true"]:
    lines.append(f"| {name} | " + " | ".join(fmt(median(s, name)) for s in scenarios) + " |")
lines += ["", "ringrun's ratio to xargs: " + ", ".join(
    f"{s} {median(s, 'ringrun -j2 true') / median(s, 'xargs -P2 -n1 true'):.2f}" for s in scenarios)
    + ".", ""]
with open(out, "w") as f:
    f.write("\n".join(lines))
print("\n".join(lines))
PY
