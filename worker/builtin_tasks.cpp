// The built-in in-process tasks: noop, echo (returns its payload), spin (busy for N µs),
// sleep (N ms), crash (raises SIGSEGV), alloc (N allocations of mixed sizes, freed),
// crash_every (raises SIGSEGV on every Nth call in its process), crash_once_timed (crashes the
// first time, and its retry says how long after the crash it ran), spawn (runs a command,
// words split on spaces) and leak (N MiB never freed). They exist to measure the runner itself
// (ringrun bench) and to show what a crash does on each backend. A payload that is not a number is
// a task failure, never an exception.
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "worker/command_executor.hpp"
#include "worker/task_registry.hpp"

namespace ringrun {
namespace {

bool parse_count(std::string_view payload, long long& out) {
    while (!payload.empty() && (payload.back() == '\n' || payload.back() == ' '))
        payload.remove_suffix(1);
    if (payload.empty()) {
        out = 0;
        return true;
    }
    auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), out);
    return ec == std::errc() && end == payload.data() + payload.size() && out >= 0;
}

TaskOutcome not_a_count(std::string_view task, std::string_view payload) {
    return {false,
            {},
            std::string(task) + ": payload '" + std::string(payload) +
                "' is not a non-negative integer"};
}

TaskOutcome noop(std::string_view) {
    return {};
}

TaskOutcome echo(std::string_view payload) {
    return {true, std::string(payload), {}};
}

TaskOutcome spin(std::string_view payload) {
    long long micros;
    if (!parse_count(payload, micros)) return not_a_count("spin", payload);
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
    while (std::chrono::steady_clock::now() < until) {
    }
    return {};
}

TaskOutcome sleep_task(std::string_view payload) {
    long long millis;
    if (!parse_count(payload, millis)) return not_a_count("sleep", payload);
    std::this_thread::sleep_for(std::chrono::milliseconds(millis));
    return {};
}

TaskOutcome crash(std::string_view) {
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    return {false, {}, "crash: SIGSEGV did not end the process"};
}

TaskOutcome alloc(std::string_view payload) {
    long long count;
    if (!parse_count(payload, count)) return not_a_count("alloc", payload);
    std::vector<std::unique_ptr<char[]>> blocks;
    blocks.reserve(static_cast<size_t>(count));
    size_t touched = 0;
    for (long long i = 0; i < count; ++i) {
        const size_t size = 16u << (i % 9);  // 16 B to 4 KiB
        blocks.emplace_back(new char[size]);
        blocks.back()[size - 1] = static_cast<char>(i);
        touched += static_cast<unsigned char>(blocks.back()[size - 1]);
    }
    return {true, std::to_string(touched), {}};
}

TaskOutcome crash_every(std::string_view payload) {
    static std::atomic<long long> calls{0};
    long long every;
    if (!parse_count(payload, every) || every == 0) return not_a_count("crash_every", payload);
    if (++calls % every == 0) return crash(payload);
    return {};
}

int64_t monotonic_now_ns() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// crash_once_timed PATH: the first call (PATH does not exist) writes the monotonic clock into
// PATH and crashes its worker; a later call (its retry) returns the nanoseconds since then:
// the time from a crash to the suspect's retry running, which ringrun bench reports.
TaskOutcome crash_once_timed(std::string_view payload) {
    const std::string path(payload);
    if (path.empty()) return {false, {}, "crash_once_timed: no marker path"};
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        const std::string at = std::to_string(monotonic_now_ns());
        const bool written = ::write(fd, at.data(), at.size()) == static_cast<ssize_t>(at.size());
        ::close(fd);
        if (!written) return {false, {}, "crash_once_timed: could not write " + path};
        return crash(payload);
    }
    char text[32] = {};
    const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const ssize_t n = in >= 0 ? ::read(in, text, sizeof text - 1) : -1;
    if (in >= 0) ::close(in);
    long long crashed_at = 0;
    if (n <= 0 || !parse_count(std::string_view(text, static_cast<size_t>(n)), crashed_at))
        return {false, {}, "crash_once_timed: " + path + " holds no time"};
    return {true, std::to_string(monotonic_now_ns() - crashed_at), {}};
}

// leak: allocates N MiB, touches every page and never frees them (a task that leaks, to
// show worker recycling); returns "PID RSS_KIB", the worker's pid and resident size after.
TaskOutcome leak(std::string_view payload) {
    long long mib;
    if (!parse_count(payload, mib)) return not_a_count("leak", payload);
    const size_t bytes = static_cast<size_t>(mib) << 20;
    if (bytes > 0) {
        char* block = new char[bytes];  // kept: the leak is the point
        for (size_t at = 0; at < bytes; at += 4096) block[at] = 1;
    }
    long pages_resident = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
        long pages_total = 0;
        if (std::fscanf(statm, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
        std::fclose(statm);
    }
    return {true,
            std::to_string(getpid()) + " " +
                std::to_string(pages_resident * (sysconf(_SC_PAGESIZE) / 1024)) + "\n",
            {}};
}

TaskOutcome spawn(std::string_view payload) {
    JobSpec job;
    job.kind = JobSpec::Kind::argv;
    for (size_t start = 0; start < payload.size();) {
        size_t end = std::min(payload.find(' ', start), payload.size());
        if (end > start) job.argv.emplace_back(payload.substr(start, end - start));
        start = end + 1;
    }
    if (job.argv.empty()) return {false, {}, "spawn: no command"};
    JobResult r = run_command(job, 0);
    if (r.status != JobStatus::ok)
        return {
            false, {}, "spawn: " + job.argv[0] + " " + status_name(r.status) + " " + r.error_text};
    return {true, std::move(r.out), {}};
}

}  // namespace

void register_builtin_tasks(TaskRegistry& registry) {
    registry.add("noop", noop);
    registry.add("echo", echo);
    registry.add("spin", spin);
    registry.add("sleep", sleep_task);
    registry.add("crash", crash);
    registry.add("alloc", alloc);
    registry.add("crash_every", crash_every);
    registry.add("crash_once_timed", crash_once_timed);
    registry.add("spawn", spawn);
    registry.add("leak", leak);
}

}  // namespace ringrun
