// The bench matrix: each cell forks a child that starts a Pool, measures, and writes
// its figures into memory shared with the parent as it goes, so that a cell that dies
// (a crash on threads) still reports how far it got.
#include "runner/bench/bench_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <ringrun/pool.hpp>
#include <string>
#include <thread>
#include <vector>

#include "ipc/system_call.hpp"
#include "runner/bench/core_loop_speed.hpp"
#include "runner/bench/core_round_trip.hpp"
#include "runner/bench/cpu_hogs.hpp"
#include "runner/bench/process_tree_usage.hpp"

namespace ringrun {
namespace {

// count copies of one payload, as a range Pool::map reads lazily (a vector of a million
// would show in the peak RSS column); not views::iota | views::transform, which Clang 14
// cannot compile against libstdc++ 12.
struct RepeatedPayload {
    struct iterator {
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        std::string_view value;
        size_t left = 0;
        std::string_view operator*() const { return value; }
        iterator& operator++() {
            --left;
            return *this;
        }
        void operator++(int) { --left; }
        bool operator==(std::default_sentinel_t) const { return left == 0; }
    };
    std::string_view value;
    size_t count;
    iterator begin() const { return {value, count}; }
    std::default_sentinel_t end() const { return {}; }
};

using Clock = std::chrono::steady_clock;

struct Workload {
    const char* name;
    const char* task;
    const char* payload;
    size_t tasks;        // for the rate
    size_t round_trips;  // for the latency percentiles
    // Workers recycled after this many tasks (processes only: the row is not run on
    // threads, which are never recycled); 0: never.
    uint64_t recycle_after = 0;
};

// The matrix's rows. Counts are sized for a few seconds per cell on two cores.
std::vector<Workload> workloads(bool quick) {
    const size_t q = quick ? 20 : 1;
    return {
        {"noop", "noop", "", 2'000'000 / q, 20'000 / q},
        {"noop recycled/100", "noop", "", 200'000 / q, 2'000 / q, 100},
        {"spin 10us", "spin", "10", 100'000 / q, 5'000 / q},
        {"spin 1ms", "spin", "1000", 2'000 / q, 200 / q},
        {"alloc 1000 blocks", "alloc", "1000", 50'000 / q, 2'000 / q},
        {"crash 1 in 1000", "crash_every", "1000", 100'000 / q, 2'000 / q},
        {"command true", "spawn", "true", 3'000 / q, 300 / q},
    };
}

// What a cell's child writes as it measures (shared memory: it survives the child).
struct CellFigures {
    double core_round_trip_ns = -1;     // measured by the parent just before the cell
    double core_loop_ns[2] = {-1, -1};  // likewise, on each of two CPUs (-1: none)
    double startup_ms = -1;
    double tasks_per_second = -1;
    double cpu_seconds_per_million = -1;  // user + system, every process, in the rate run
    double p50_us = -1;
    double p99_us = -1;
    std::atomic<uint64_t> peak_bytes{0};
    std::atomic<uint64_t> completed{0};  // tasks with a result, in the rate run
    uint64_t failed = 0;                 // of those, not ok
    uint64_t restarts = 0;
    double crash_to_retry_p50_us = -1;  // the crash row on processes: a crash to its retry
    double crash_to_retry_p99_us = -1;
    bool finished = false;
};

struct Cell {
    Backend backend;
    Workload workload;
    CellFigures* figures;
    int wait_status = 0;
};

double percentile_us(std::vector<double>& samples, double p) {
    if (samples.empty()) return -1;
    const size_t i = std::min(samples.size() - 1, static_cast<size_t>(p * samples.size()));
    std::nth_element(samples.begin(), samples.begin() + static_cast<long>(i), samples.end());
    return samples[i];
}

// A task that crashes its worker once, 50 times over: how long from each crash to its
// retry (alone, on the replacement worker) running, as crash_once_timed measures it.
void measure_crash_to_retry(Pool& pool, CellFigures& f) {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/ringrun-bench-crash.XXXXXX";
    if (!mkdtemp(dir.data())) return;
    std::vector<double> delays;
    for (int i = 0; i < 50; ++i) {
        const std::string marker = dir + "/" + std::to_string(i);
        try {
            delays.push_back(std::stod(pool.apply("crash_once_timed", marker)) / 1000);
        } catch (const std::exception&) {
        }
        ::unlink(marker.c_str());
    }
    ::rmdir(dir.c_str());
    f.crash_to_retry_p50_us = percentile_us(delays, 0.50);
    f.crash_to_retry_p99_us = percentile_us(delays, 0.99);
}

[[noreturn]] void run_cell(const Cell& cell, size_t workers) {
    CellFigures& f = *cell.figures;
    std::atomic<bool> sampling{true};
    std::thread sampler([&] {
        while (sampling.load()) {
            const uint64_t now = memory_of_process_tree();
            if (now > f.peak_bytes.load()) f.peak_bytes.store(now);
            // Each sample walks every process's page tables (smaps_rollup), under the
            // lock their page faults take too: every 5 ms that cost the no-op row 7% of
            // its rate. Every 20 ms, memory that rises and stays is still seen.
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    {
        const auto t0 = Clock::now();
        PoolOptions options;
        options.backend = cell.backend;
        options.workers = workers;
        options.max_restarts = 0;  // the crash row replaces workers on purpose
        options.max_tasks_per_worker = cell.workload.recycle_after;
        Pool pool(options);
        pool.submit("noop", "").get();
        f.startup_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

        const Workload& w = cell.workload;
        const double cpu_before = cpu_seconds_of_process_tree();
        const auto t1 = Clock::now();
        uint64_t failed = 0;
        const std::string_view payload = w.payload;
        pool.map(w.task, RepeatedPayload{payload, w.tasks}, [&](uint64_t, TaskResult& r) {
            failed += !r.ok();
            // This thread alone counts: a plain store, not a locked add per
            // result (the no-op row ran about 1% faster without it: 10 of 12
            // alternating runs).
            f.completed.store(f.completed.load(std::memory_order_relaxed) + 1,
                              std::memory_order_relaxed);
        });
        const double seconds = std::chrono::duration<double>(Clock::now() - t1).count();
        f.tasks_per_second = static_cast<double>(w.tasks) / seconds;
        f.cpu_seconds_per_million =
            (cpu_seconds_of_process_tree() - cpu_before) * 1e6 / static_cast<double>(w.tasks);
        f.failed = failed;

        std::vector<double> round_trips;
        round_trips.reserve(w.round_trips);
        for (size_t i = 0; i < w.round_trips; ++i) {
            const auto t = Clock::now();
            try {
                pool.apply(w.task, w.payload);
            } catch (const TaskError&) {
            }
            round_trips.push_back(
                std::chrono::duration<double, std::micro>(Clock::now() - t).count());
        }
        f.p50_us = percentile_us(round_trips, 0.50);
        f.p99_us = percentile_us(round_trips, 0.99);
        if (std::strcmp(w.task, "crash_every") == 0 && cell.backend == Backend::processes)
            measure_crash_to_retry(pool, f);
        f.restarts = pool.stats().worker_restarts;
        pool.shutdown();
    }
    sampling.store(false);
    sampler.join();
    f.finished = true;
    _exit(0);
}

std::string figure(double value, const char* format) {
    if (value < 0) return "-";
    char out[32];
    std::snprintf(out, sizeof out, format, value);
    return out;
}

std::string what_a_crash_did(const Cell& cell) {
    const CellFigures& f = *cell.figures;
    const bool crashes = std::strcmp(cell.workload.task, "crash_every") == 0;
    if (!f.finished) {
        std::string how =
            WIFSIGNALED(cell.wait_status)
                ? std::string("died of SIG") + sigabbrev_np(WTERMSIG(cell.wait_status))
                : "exited " + std::to_string(WEXITSTATUS(cell.wait_status));
        return "whole run lost: the process " + how + " with " +
               std::to_string(f.completed.load()) + " of " + std::to_string(cell.workload.tasks) +
               " results back";
    }
    if (!crashes) return "-";
    std::string did = std::to_string(f.restarts) +
                      " workers replaced, their tasks retried; run completed (" +
                      std::to_string(f.completed.load() - f.failed) + "/" +
                      std::to_string(cell.workload.tasks) + " ok)";
    if (f.crash_to_retry_p50_us >= 0)
        did += "; crash to retry p50 " + figure(f.crash_to_retry_p50_us, "%.0f") + " us, p99 " +
               figure(f.crash_to_retry_p99_us, "%.0f") + " us";
    return did;
}

std::string json_number(double value, const char* format) {
    return value < 0 ? "null" : figure(value, format);
}

// The cell's cpu loop figures, those measured, joined by separator.
std::string core_loop_figures(const CellFigures& f, const char* separator) {
    std::string joined;
    for (double ns : f.core_loop_ns)
        if (ns >= 0) joined += (joined.empty() ? "" : separator) + figure(ns, "%.2f");
    return joined;
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

const char* backend_name(Backend b) {
    return b == Backend::processes ? "processes" : "threads";
}

void print_table(const std::vector<Cell>& cells, size_t workers, size_t hogs) {
    std::printf(
        "ringrun bench: %zu workers on %u cores, %s; each cell in a fresh child "
        "process\n\n",
        workers, std::thread::hardware_concurrency(),
        hogs == 0 ? "quiet (no hog)"
                  : (std::to_string(hogs) + " CPU-bound hog process" + (hogs == 1 ? "" : "es") +
                     " beside it")
                        .c_str());
    std::printf("%-10s %-18s %12s %9s %9s %9s %10s %9s %11s %12s  %s\n", "backend", "workload",
                "tasks/s", "cpu s/M", "p50 us", "p99 us", "start ms", "peak MiB", "core rt ns",
                "cpu loop ns", "what a crash did");
    for (const Cell& c : cells) {
        const CellFigures& f = *c.figures;
        std::string loop = core_loop_figures(f, " ");
        if (loop.empty()) loop = "-";
        std::printf(
            "%-10s %-18s %12s %9s %9s %9s %10s %9s %11s %12s  %s\n", backend_name(c.backend),
            c.workload.name, figure(f.tasks_per_second, "%.0f").c_str(),
            figure(f.cpu_seconds_per_million, "%.2f").c_str(), figure(f.p50_us, "%.1f").c_str(),
            figure(f.p99_us, "%.1f").c_str(), figure(f.startup_ms, "%.2f").c_str(),
            figure(static_cast<double>(f.peak_bytes.load()) / (1 << 20), "%.1f").c_str(),
            figure(f.core_round_trip_ns, "%.0f").c_str(), loop.c_str(),
            what_a_crash_did(c).c_str());
    }
    std::printf(
        "\ntasks/s: each task dispatched and gathered on its own (Pool::map); cpu s/M: CPU "
        "seconds (user +\nsystem, every process of the cell) per million tasks of that run; "
        "p50/p99: one task's round trip\n(Pool::apply, one task at a time); start: Pool "
        "constructed to "
        "first result; peak: proportional\nset size of the cell's processes together, "
        "sampled every 20 ms; core rt: a cache line's round trip\nbetween two cores just "
        "before the cell (tens of ns when they share a cache; on a virtual machine\nthe host "
        "may place them hundreds of ns apart, and every hand-over between cores slows with "
        "it);\ncpu loop: a fixed loop's time per iteration on each of two cores just before "
        "the cell (it rises\nwhile a shared machine's host gives part of a core to something "
        "else, and every rate falls with it).\n");
}

void print_json(const std::vector<Cell>& cells, size_t workers, size_t hogs) {
    std::printf("{\"workers\": %zu, \"cores\": %u, \"hogs\": %zu, \"cells\": [\n", workers,
                std::thread::hardware_concurrency(), hogs);
    for (size_t i = 0; i < cells.size(); ++i) {
        const Cell& c = cells[i];
        const CellFigures& f = *c.figures;
        std::printf(
            "  {\"backend\": \"%s\", \"workload\": %s, \"task\": %s, \"payload\": %s, "
            "\"tasks\": %zu, \"completed\": %llu, \"failed\": %llu, \"tasks_per_second\": %s, "
            "\"cpu_seconds_per_million\": %s, "
            "\"round_trip_p50_us\": %s, \"round_trip_p99_us\": %s, \"startup_ms\": %s, "
            "\"peak_memory_bytes\": %llu, \"worker_restarts\": %llu, \"run_completed\": %s, "
            "\"crash_outcome\": %s, \"crash_to_retry_p50_us\": %s, "
            "\"crash_to_retry_p99_us\": %s, \"core_round_trip_ns\": %s, "
            "\"core_loop_ns\": [%s]}%s\n",
            backend_name(c.backend), json_string(c.workload.name).c_str(),
            json_string(c.workload.task).c_str(), json_string(c.workload.payload).c_str(),
            c.workload.tasks, static_cast<unsigned long long>(f.completed.load()),
            static_cast<unsigned long long>(f.failed),
            json_number(f.tasks_per_second, "%.0f").c_str(),
            json_number(f.cpu_seconds_per_million, "%.3f").c_str(),
            json_number(f.p50_us, "%.2f").c_str(), json_number(f.p99_us, "%.2f").c_str(),
            json_number(f.startup_ms, "%.3f").c_str(),
            static_cast<unsigned long long>(f.peak_bytes.load()),
            static_cast<unsigned long long>(f.restarts), f.finished ? "true" : "false",
            json_string(what_a_crash_did(c)).c_str(),
            json_number(f.crash_to_retry_p50_us, "%.1f").c_str(),
            json_number(f.crash_to_retry_p99_us, "%.1f").c_str(),
            json_number(f.core_round_trip_ns, "%.0f").c_str(), core_loop_figures(f, ", ").c_str(),
            i + 1 < cells.size() ? "," : "");
    }
    std::printf("]}\n");
}

}  // namespace

bool is_bench_command(int argc, char** argv) {
    return argc > 1 && std::strcmp(argv[1], "bench") == 0;
}

int run_bench_command(int argc, char** argv) {
    CLI::App app("ringrun bench: processes versus threads, measured on this machine",
                 "ringrun bench");
    bool json = false, quick = false;
    size_t workers = 2;
    size_t contention = 0;
    std::vector<std::string> only;
    app.add_flag("--json", json, "Print the figures as JSON");
    app.add_flag("--quick", quick, "A twentieth of the tasks: a smoke test, not a measurement");
    app.add_option("-j,--workers", workers, "Workers per pool")->check(CLI::Range(1, 1024));
    app.add_option("--contention", contention,
                   "Run every cell with this many CPU-bound hog processes beside it (a shared "
                   "machine)")
        ->check(CLI::Range(0, 64));
    app.add_option("--only", only, "Only these workloads (noop, spin, alloc, crash, command)");
    try {
        app.parse(argc - 1, argv + 1);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    std::vector<Cell> cells;
    const size_t bytes = sizeof(CellFigures) * 64;
    void* shared = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) throw sys::SystemError("mmap", "bench figures", errno);
    auto* figures = static_cast<CellFigures*>(shared);
    for (Backend backend : {Backend::processes, Backend::threads})
        for (const Workload& w : workloads(quick)) {
            const bool wanted =
                only.empty() || std::any_of(only.begin(), only.end(), [&](const std::string& o) {
                    return std::string_view(w.name).starts_with(o) || std::string_view(w.task) == o;
                });
            if (w.recycle_after != 0 && backend == Backend::threads) continue;
            if (wanted) cells.push_back({backend, w, new (&figures[cells.size()]) CellFigures, 0});
        }
    const CpuHogs hogs(contention);  // beside every cell, killed and reaped at the end
    for (Cell& cell : cells) {
        cell.figures->core_round_trip_ns = core_round_trip_ns().value_or(-1);
        const std::vector<double> loop_ns = core_loop_ns();
        for (size_t i = 0; i < loop_ns.size() && i < 2; ++i)
            cell.figures->core_loop_ns[i] = loop_ns[i];
        std::fflush(stdout);
        pid_t pid = sys::checked("fork", "bench cell", [] { return fork(); });
        if (pid == 0) run_cell(cell, workers);
        // A cell that outlives its deadline is killed and reported, never waited for.
        const auto deadline = Clock::now() + std::chrono::minutes(quick ? 1 : 5);
        while (sys::retry_eintr([&] { return waitpid(pid, &cell.wait_status, WNOHANG); }) == 0) {
            if (Clock::now() > deadline) {
                kill(pid, SIGKILL);
                sys::retry_eintr([&] { return waitpid(pid, &cell.wait_status, 0); });
                std::fprintf(stderr, "ringrun bench: %s, %s took too long; killed\n",
                             backend_name(cell.backend), cell.workload.name);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (!json)
            std::fprintf(stderr, "ringrun bench: %s, %s done\n", backend_name(cell.backend),
                         cell.workload.name);
    }
    if (json)
        print_json(cells, workers, hogs.count());
    else
        print_table(cells, workers, hogs.count());
    munmap(shared, bytes);
    return 0;
}

}  // namespace ringrun
