// Worker recycling (--max-tasks-per-worker, --max-worker-memory), per-job memory limits
// (--memory-limit, a job file's memory) and which failures are retried (--retry-on,
// retry_on), through the real binary across real processes.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

using testing::lines_of;
using testing::run_program;
using testing::ScratchDir;

// Input lines "leak N" results: "PID RSS_KIB" -> how many tasks each worker pid ran, and
// the largest resident size seen.
struct LeakReport {
    std::map<long, int> tasks_by_pid;
    long max_rss_kib = 0;
};

LeakReport read_leak_lines(const std::string& out) {
    LeakReport report;
    for (const std::string& line : lines_of(out)) {
        long pid = 0, rss = 0;
        if (std::sscanf(line.c_str(), "%ld %ld", &pid, &rss) != 2) continue;
        ++report.tasks_by_pid[pid];
        report.max_rss_kib = std::max(report.max_rss_kib, rss);
    }
    return report;
}

std::string repeated(const std::string& line, int times) {
    std::string text;
    for (int i = 0; i < times; ++i) text += line + "\n";
    return text;
}

TEST(Recycling, MaxTasksPerWorkerForksAWorkerPerTenTasksAndLosesNothing) {
    auto r = run_program(
        {RINGRUN_BINARY, "-j2", "--task", "leak", "--max-tasks-per-worker", "10", "--stats"},
        repeated("0", 1000));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const LeakReport report = read_leak_lines(r.out);
    int tasks = 0;
    for (const auto& [pid, count] : report.tasks_by_pid) {
        EXPECT_LE(count, 10) << "worker " << pid;
        tasks += count;
    }
    EXPECT_EQ(tasks, 1000);
    // Ten tasks a worker, but for the last worker of each slot, which may run fewer.
    EXPECT_GE(report.tasks_by_pid.size(), 100u);
    EXPECT_LE(report.tasks_by_pid.size(), 102u);
    int full = 0;
    for (const auto& [pid, count] : report.tasks_by_pid) full += count == 10;
    EXPECT_GE(full, 98);
    EXPECT_NE(r.err.find("0 worker restarts; "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(" workers recycled"), std::string::npos) << r.err;
}

TEST(Recycling, CommandsAreRecycledToo) {
    ScratchDir dir;
    std::vector<std::string> argv = {RINGRUN_BINARY,     "-j2", "--max-tasks-per-worker", "5",
                                     "echo $PPID; : {}", ":::"};
    for (int i = 1; i <= 50; ++i) argv.push_back(std::to_string(i));
    auto r = run_program(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, int> by_worker;
    for (const std::string& line : lines_of(r.out)) ++by_worker[line];
    int jobs = 0;
    for (const auto& [worker, count] : by_worker) {
        EXPECT_LE(count, 5) << worker;
        jobs += count;
    }
    EXPECT_EQ(jobs, 50);
    EXPECT_GE(by_worker.size(), 10u);  // the last of each slot's workers may run fewer
    EXPECT_LE(by_worker.size(), 12u);
}

TEST(Recycling, ALeakingTaskUnderMaxWorkerMemoryKeepsEveryWorkersRssBounded) {
    auto r = run_program(
        {RINGRUN_BINARY, "-j2", "--task", "leak", "--max-worker-memory", "100M", "--stats"},
        repeated("10", 100));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const LeakReport report = read_leak_lines(r.out);
    int tasks = 0;
    for (const auto& [pid, count] : report.tasks_by_pid) tasks += count;
    EXPECT_EQ(tasks, 100);
    // Retired once past 100 MiB: at most the limit, the task that crossed it, and what
    // the worker held before its first task.
    EXPECT_LT(report.max_rss_kib, (100 + 10 + 40) * 1024) << r.out;
    EXPECT_GE(report.tasks_by_pid.size(), 8u) << "1000 MiB leaked in 100 MiB workers";
    EXPECT_NE(r.err.find("0 worker restarts;"), std::string::npos) << r.err;
}

TEST(MemoryLimit, ACommandAllocatingPastItFailsWithItsCauseAndTheOthersRun) {
    ScratchDir dir;
    const std::string results = dir.path("results.jsonl");
    auto r = run_program({RINGRUN_BINARY, "-j2", "--memory-limit", "100M", "--results", results,
                          "perl -e '$x = \"a\" x (1 << {}); print length($x), \"\\n\"'",
                          ":::", "30", "10", "4"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    // --results FILE.jsonl holds each job's output instead of printing it.
    EXPECT_NE(r.err.find("failed: it ran out of its memory limit"), std::string::npos) << r.err;
    const std::string json = testing::read_file(results);
    EXPECT_NE(json.find("\"status\":\"memory_limit\",\"exit\":1"), std::string::npos) << json;
    EXPECT_NE(json.find("\"cause\":\"memory limit\""), std::string::npos) << json;
    EXPECT_EQ(lines_of(json).size(), 3u);
    EXPECT_NE(json.find("\"stdout\":\"1024\\n\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"stdout\":\"16\\n\""), std::string::npos) << json;
}

TEST(MemoryLimit, AJobFilesMemoryKeyLimitsThatJobAlone) {
    ScratchDir dir;
    const std::string file = dir.write("p.toml",
                                       "[job.big]\n"
                                       "cmd = \"perl -e '$x = \\\"a\\\" x (1 << 30); print 1'\"\n"
                                       "memory = \"100M\"\n"
                                       "[job.fine]\n"
                                       "cmd = \"perl -e '$x = \\\"a\\\" x (1 << 28); print 2'\"\n");
    auto r = run_program({RINGRUN_BINARY, "run", file});
    EXPECT_NE(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("2"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(r.out.find("1"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.err.find("memory"), std::string::npos) << r.err;
}

TEST(MemoryLimit, AJobFileRejectsAMemoryThatIsNoSizeAtItsLine) {
    ScratchDir dir;
    const std::string file = dir.write("p.toml", "[job.a]\ncmd = \"true\"\nmemory = \"lots\"\n");
    auto r = run_program({RINGRUN_BINARY, "check", file});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("p.toml:3:10"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("job.a.memory must be a size"), std::string::npos) << r.err;
}

// How many times a command that appends a line to `log` then fails ran.
size_t runs_logged(const std::string& log) {
    return lines_of(testing::read_file(log)).size();
}

TEST(RetryOn, OnlyTheNamedCausesAreRetried) {
    ScratchDir dir;
    const std::string log = dir.path("log");
    const std::string failing = "echo ran >> " + log + "; exit 3";
    auto once = run_program(
        {RINGRUN_BINARY, "--retries", "3", "--retry-on", "signal,timeout", failing, ":::", "x"});
    EXPECT_EQ(once.exit_code, 1) << once.err;
    EXPECT_EQ(runs_logged(log), 1u) << "an exit code is not among the causes";
    auto thrice =
        run_program({RINGRUN_BINARY, "--retries", "3", "--retry-on", "exit", failing, ":::", "x"});
    EXPECT_EQ(thrice.exit_code, 1) << thrice.err;
    EXPECT_EQ(runs_logged(log), 1u + 3u);
    auto bad = run_program({RINGRUN_BINARY, "--retry-on", "exits", "true", ":::", "x"});
    EXPECT_EQ(bad.exit_code, 255);
    EXPECT_NE(bad.err.find("'exits' is not a cause"), std::string::npos) << bad.err;
}

TEST(RetryOn, AJobFilesRetryOnKeepsADeterministicFailureFromRunningThreeTimes) {
    ScratchDir dir;
    const std::string log = dir.path("log");
    const std::string file = dir.write("p.toml", "[job.a]\ncmd = \"echo ran >> " + log +
                                                     "; exit 1\"\nretries = 3\n"
                                                     "retry_on = [\"lost\", \"timeout\", "
                                                     "\"signal\"]\n"
                                                     "[job.b]\ncmd = \"echo ran >> " +
                                                     log + ".b; exit 1\"\nretries = 3\n");
    auto r = run_program({RINGRUN_BINARY, "run", file});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(runs_logged(log), 1u) << r.err;
    EXPECT_EQ(runs_logged(log + ".b"), 3u) << r.err;
    const std::string bad =
        dir.write("bad.toml", "[job.a]\ncmd = \"true\"\nretry_on = [\"oom\"]\n");
    auto check = run_program({RINGRUN_BINARY, "check", bad});
    EXPECT_NE(check.exit_code, 0);
    EXPECT_NE(check.err.find("bad.toml:3:13"), std::string::npos) << check.err;
    EXPECT_NE(check.err.find("'oom' in job.a.retry_on is not a cause"), std::string::npos)
        << check.err;
}

TEST(RetryOn, RunDefaultsForRetryOnAndMemoryApplyUnlessAJobOverridesThem) {
    ScratchDir dir;
    const std::string log = dir.path("log");
    const std::string file =
        dir.write("p.toml",
                  "[run]\nretries = 3\nretry_on = [\"lost\"]\nmemory = \"100M\"\n"
                  "[job.a]\ncmd = \"echo ran >> " +
                      log +
                      "; exit 1\"\n"
                      "[job.b]\ncmd = \"echo ran >> " +
                      log +
                      ".b; exit 1\"\nretry_on = [\"exit\"]\n"
                      "[job.big]\ncmd = \"perl -e '$x = \\\"a\\\" x (1 << 30); print 1'\"\n"
                      "[job.roomy]\nmemory = \"2G\"\n"
                      "cmd = \"perl -e '$x = \\\"a\\\" x (1 << 28); print 2'\"\n");
    auto r = run_program({RINGRUN_BINARY, "run", file});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(runs_logged(log), 1u) << r.err;
    EXPECT_EQ(runs_logged(log + ".b"), 3u) << r.err;
    EXPECT_NE(r.out.find("2"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(r.out.find("1"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.err.find("memory"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ringrun
