// `ringrun bench`, end to end: the matrix runs each cell in a child, and the crash row
// shows the contrast: on processes the run completes with workers replaced; on threads the
// whole run is lost (its child dies), and the bench itself carries on.
#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

namespace {

using ringrun::testing::lines_of;
using ringrun::testing::run_program;

// The JSON line of the cell for backend and workload.
std::string cell_line(const std::string& json, const std::string& backend,
                      const std::string& workload) {
    for (const std::string& line : lines_of(json))
        if (line.find("\"backend\": \"" + backend + "\"") != std::string::npos &&
            line.find("\"workload\": \"" + workload + "\"") != std::string::npos)
            return line;
    return {};
}

TEST(BenchCommand, TheCrashRowContrastsProcessesWithThreads) {
    auto r = run_program(
        {RINGRUN_BINARY, "bench", "--quick", "--json", "--only", "noop", "--only", "crash"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.front(), '{');
    const std::string processes = cell_line(r.out, "processes", "crash 1 in 1000");
    const std::string threads = cell_line(r.out, "threads", "crash 1 in 1000");
    ASSERT_FALSE(processes.empty()) << r.out;
    ASSERT_FALSE(threads.empty()) << r.out;
    EXPECT_NE(processes.find("\"run_completed\": true"), std::string::npos) << processes;
    EXPECT_NE(processes.find("\"failed\": 0,"), std::string::npos) << processes;
    EXPECT_EQ(processes.find("\"worker_restarts\": 0,"), std::string::npos) << processes;
    // Each crash_once_timed crash came back as a retry on processes: a time, not null.
    EXPECT_NE(processes.find("\"crash_to_retry_p50_us\": "), std::string::npos) << processes;
    EXPECT_EQ(processes.find("\"crash_to_retry_p50_us\": null"), std::string::npos) << processes;
    EXPECT_NE(threads.find("\"crash_to_retry_p50_us\": null"), std::string::npos) << threads;
    EXPECT_NE(threads.find("\"run_completed\": false"), std::string::npos) << threads;
    EXPECT_NE(threads.find("whole run lost: the process died of SIGSEGV"), std::string::npos)
        << threads;
    for (const char* backend : {"processes", "threads"}) {
        std::string noop = cell_line(r.out, backend, "noop");
        ASSERT_FALSE(noop.empty()) << r.out;
        EXPECT_NE(noop.find("\"completed\": 100000,"), std::string::npos) << noop;
        // Every figure of the pool measured. The crash figures are the crash row's, and the
        // machine's core round trip may be null (a test beside this one can keep a CPU from
        // the probe for its whole second).
        EXPECT_NE(noop.find(", \"core_loop_ns\": ["), std::string::npos) << noop;
        EXPECT_NE(noop.find(", \"core_round_trip_ns\": "), std::string::npos) << noop;
        const size_t crash = noop.find(", \"crash_to_retry_p50_us\": ");
        ASSERT_NE(crash, std::string::npos) << noop;
        noop.erase(crash);
        EXPECT_EQ(noop.find("null"), std::string::npos) << noop;
    }
}

TEST(BenchCommand, PrintsATableByDefaultAndRejectsBadOptions) {
    auto r = run_program({RINGRUN_BINARY, "bench", "--quick", "--only", "spin", "-j", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("what a crash did"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("core rt ns"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("cpu loop ns"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("spin 10us"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 workers"), std::string::npos) << r.out;
    EXPECT_EQ(run_program({RINGRUN_BINARY, "bench", "--workers", "0"}).exit_code, 2);
    EXPECT_EQ(run_program({RINGRUN_BINARY, "bench", "--no-such-option"}).exit_code, 2);
}

TEST(BenchCommand, ContentionRunsEveryCellBesideHogsAndLeavesNoneBehind) {
    auto r = run_program({RINGRUN_BINARY, "bench", "--quick", "--json", "--only", "noop",
                          "--contention", "2", "-j", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"hogs\": 2,"), std::string::npos) << r.out;
    const std::string noop = cell_line(r.out, "processes", "noop");
    ASSERT_FALSE(noop.empty()) << r.out;
    EXPECT_NE(noop.find("\"completed\": 100000,"), std::string::npos) << noop;
    // The rate run's CPU seconds per million tasks: a figure, and a plausible one.
    const size_t at = noop.find("\"cpu_seconds_per_million\": ");
    ASSERT_NE(at, std::string::npos) << noop;
    const double cpu = std::stod(noop.substr(at + 28));
    EXPECT_GT(cpu, 0.0) << noop;
    EXPECT_LT(cpu, 1000.0) << noop;
    // The hogs are the bench's children: killed and reaped before it exits.
    EXPECT_TRUE(ringrun::testing::processes_matching("--contention 2 -j 1").empty());
    auto table = run_program(
        {RINGRUN_BINARY, "bench", "--quick", "--only", "spin", "-j", "1", "--contention", "1"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("1 CPU-bound hog process beside it"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("cpu s/M"), std::string::npos) << table.out;
    EXPECT_EQ(run_program({RINGRUN_BINARY, "bench", "--contention", "-1"}).exit_code, 2);
}

}  // namespace
