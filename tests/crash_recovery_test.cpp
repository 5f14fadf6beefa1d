// Crash recovery across real processes: a worker killed at each fault-injection point,
// a job that kills its worker every time, restart intensity, task and command timeouts,
// --retries, --stats, the supervisor itself SIGKILLed, and the threads backend's crash
// taking the whole run down (the contrast with processes).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

using testing::lines_of;
using testing::ProgramRun;
using testing::run_program;

std::vector<std::string> numbers(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i <= to; ++i) out.push_back(std::to_string(i));
    return out;
}

std::vector<std::string> sorted_numbers(int from, int to) {
    auto out = numbers(from, to);
    std::sort(out.begin(), out.end());
    return out;
}

// A script file, removed on scope exit.
struct Script {
    explicit Script(const std::string& body)
        : path(std::filesystem::temp_directory_path() /
               ("ringrun-crash-" + std::to_string(getpid()) + "-" + std::to_string(++count) +
                ".sh")) {
        std::ofstream(path) << "#!/bin/sh\n" << body;
        std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    }
    ~Script() { std::filesystem::remove(path); }
    std::string path;
    static inline int count = 0;
};

struct ScratchDir {
    ScratchDir()
        : path(std::filesystem::temp_directory_path() /
               ("ringrun-crash-dir-" + std::to_string(getpid()))) {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~ScratchDir() { std::filesystem::remove_all(path); }
    std::string path;
};

// --- A worker killed at every fault-injection point --------------------------------

class FaultPoints : public ::testing::TestWithParam<const char*> {};

TEST_P(FaultPoints, EveryJobIsRecordedExactlyOnce) {
    ProgramRun run;
    // Every 7th job kills its worker once: 85 deaths, more than the default restart
    // limit allows within its window.
    run.argv = {RINGRUN_BINARY, "-j2", "--stats", "--max-restarts", "200", "--task", "echo", ":::"};
    for (const auto& n : numbers(1, 600)) run.argv.push_back(n);
    run.env = {std::string("RINGRUN_TEST_FAULT=") + GetParam() + ":7"};
    auto r = run_program(run);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), sorted_numbers(1, 600));
    EXPECT_NE(r.err.find("was killed by SIGKILL"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("600 jobs: 600 ok"), std::string::npos) << r.err;
}

TEST_P(FaultPoints, CommandsToo) {
    ProgramRun run;
    run.argv = {RINGRUN_BINARY, "-j2", "echo", ":::"};
    for (const auto& n : numbers(1, 60)) run.argv.push_back(n);
    run.env = {std::string("RINGRUN_TEST_FAULT=") + GetParam() + ":5"};
    auto r = run_program(run);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), sorted_numbers(1, 60));
    EXPECT_NE(r.err.find("was killed by SIGKILL"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Crash, FaultPoints,
                         ::testing::Values("holding-ring-lock", "reserved-not-committed",
                                           "half-written", "after-pop", "mid-job"),
                         [](const auto& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

// --- A worker that breaks the protocol ----------------------------------------------

TEST(Crash, AWorkerReportingAnotherJobsResultIsReplacedAndEveryJobRunsOnce) {
    // The faulty worker goes on sending results after the bad one: the supervisor must
    // neither read them nor spin on them, but kill the worker, learn of its exit, and
    // rerun what it held.
    ProgramRun run;
    run.argv = {RINGRUN_BINARY, "-j2", "--stats", "--max-restarts", "200", "--task", "echo", ":::"};
    for (const auto& n : numbers(1, 600)) run.argv.push_back(n);
    run.env = {"RINGRUN_TEST_FAULT=wrong-id:7"};
    auto r = run_program(run);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), sorted_numbers(1, 600));
    EXPECT_NE(r.err.find("where job 7 was next; replacing it"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("600 jobs: 600 ok"), std::string::npos) << r.err;
}

TEST(Crash, ARecordShorterThanItsLengthsSayFailsItsJobAndTheRunGoesOn) {
    // The worker commits a compact result claiming more output than its record holds:
    // the supervisor must not read past it, and reports that job's failure plainly.
    ProgramRun run;
    run.argv = {RINGRUN_BINARY, "-j2", "--task", "echo", ":::"};
    for (const auto& n : numbers(1, 60)) run.argv.push_back(n);
    run.env = {"RINGRUN_TEST_FAULT=garbage-record:7"};
    auto r = run_program(run);
    EXPECT_EQ(r.exit_code, 8) << r.err;  // jobs 7, 14, ..., 56
    auto out = lines_of(r.out, true);
    EXPECT_EQ(out.size(), 52u) << r.out;
    EXPECT_NE(r.err.find("sent an undecodable result: compact result record shorter than its "
                         "lengths say"),
              std::string::npos)
        << r.err;
    // With a second attempt (the fault fires on first attempts only), every job succeeds.
    run.argv.insert(run.argv.begin() + 1, {"--retries", "2"});
    r = run_program(run);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), sorted_numbers(1, 60));
}

// --- Jobs that kill their worker every time ------------------------------------------

TEST(Crash, JobThatKillsItsWorkerEveryTimeFailsAfterBoundedAttemptsAndTheRunGoesOn) {
    // SIGABRT: sanitizer builds turn a SIGSEGV into an exit status of their own.
    Script killer("if [ \"$1\" = bad ]; then kill -ABRT $PPID; sleep 5; fi\necho ok $1\n");
    auto r = run_program({RINGRUN_BINARY, "-j2", killer.path, ":::", "a", "bad", "b", "c"});
    EXPECT_EQ(r.exit_code, 1) << r.err;  // one failed job
    EXPECT_EQ(lines_of(r.out, true), (std::vector<std::string>{"ok a", "ok b", "ok c"}));
    EXPECT_NE(r.err.find("crashed with SIGABRT"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("attempt 3 of 3"), std::string::npos) << r.err;
}

TEST(Crash, CrashTaskFailsWithItsSignalAfterThreeAttempts) {
    auto r = run_program({RINGRUN_BINARY, "-j2", "--stats", "--task", "crash", ":::", "1"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("SIGSEGV"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("attempt 3 of 3"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("1 lost"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("2 retried"), std::string::npos) << r.err;
}

TEST(Crash, RestartIntensityStopsTheRunWithItsOwnExitCode) {
    auto r = run_program({RINGRUN_BINARY, "-j2", "--max-restarts", "3", "--task", "crash",
                          ":::", "1", "2", "3", "4", "5", "6", "7", "8"});
    EXPECT_EQ(r.exit_code, 102) << r.err;
    EXPECT_NE(r.err.find("worker restarts within"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--max-restarts 3"), std::string::npos) << r.err;
}

// --- Timeouts ------------------------------------------------------------------------

TEST(Crash, TaskOverrunningTimeoutGetsItsWorkerReplacedAndIsRecordedTimeout) {
    // The sleep task would run 60 s; the run itself is killed at 30 s if the timeout
    // did not work, and the test then fails.
    ProgramRun run;
    run.argv = {RINGRUN_BINARY, "-j2",   "--stats", "--timeout", "0.3",
                "--task",       "sleep", ":::",     "60000",     "1"};
    run.timeout = std::chrono::seconds(30);
    auto r = run_program(run);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("overran --timeout"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("1 ok"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("1 timed out"), std::string::npos) << r.err;
}

TEST(Crash, AWorkerStuckAfterItsForkIsReplacedAndItsJobsRunElsewhere) {
    testing::ScratchDir dir;
    ProgramRun run;
    run.argv = {RINGRUN_BINARY, "-j2", "--task", "echo", ":::", "a", "b", "c", "d"};
    run.env = {"RINGRUN_TEST_STUCK_START=" + dir.path("stuck")};
    run.timeout = std::chrono::seconds(60);
    auto r = run_program(run);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), (std::vector<std::string>{"a", "b", "c", "d"}));
    EXPECT_NE(r.err.find("had not started 5 s after its fork"), std::string::npos) << r.err;
}

TEST(Crash, CommandTimeoutKillsItsWholeProcessGroup) {
    const std::string marker = "61." + std::to_string(getpid());
    ProgramRun run;
    // The background member ignores SIGTERM; the leader does not.
    run.argv = {RINGRUN_BINARY, "--timeout",
                "0.3",          "(trap '' TERM; exec sleep " + marker + ") & sleep 60; echo {}",
                ":::",          "x"};
    run.timeout = std::chrono::seconds(30);
    auto r = run_program(run);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(
        testing::poll_until([&] { return testing::processes_matching("sleep " + marker).empty(); },
                            std::chrono::seconds(5)))
        << "a member of the timed-out command's group survived";
}

// --- Retries and statistics -----------------------------------------------------------

TEST(Crash, RetriesRunAFailingJobAgainAndReportOnlyTheLastAttempt) {
    ScratchDir dir;
    // Fails twice per input, then succeeds.
    Script flaky("f=" + dir.path + "/$1; n=$(cat $f 2>/dev/null || echo 0); n=$((n+1)); " +
                 "echo $n > $f; [ $n -ge 3 ] && echo done $1\n");
    auto r = run_program(
        {RINGRUN_BINARY, "-j2", "--retries", "3", "--stats", flaky.path, ":::", "a", "b"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), (std::vector<std::string>{"done a", "done b"}));
    EXPECT_NE(r.err.find("4 retried"), std::string::npos) << r.err;
    std::filesystem::remove_all(dir.path);
    std::filesystem::create_directories(dir.path);
    auto once = run_program({RINGRUN_BINARY, "-j2", flaky.path, ":::", "a", "b"});
    EXPECT_EQ(once.exit_code, 2) << once.err;
}

TEST(Crash, StatsReportOutcomesAndDistributions) {
    auto r =
        run_program({RINGRUN_BINARY, "-j2", "--stats", "--task", "noop", ":::", "1", "2", "3"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("3 jobs: 3 ok, 0 failed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("0 worker restarts"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("queue wait p50"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("run time p50"), std::string::npos) << r.err;
}

// --- The supervisor itself SIGKILLed ------------------------------------------------

class SupervisorKilled : public ::testing::TestWithParam<const char*> {};

TEST_P(SupervisorKilled, LeavesNoProcessAfterTwoSeconds) {
    const std::string backend = GetParam();
    // Orphans come to this process, so that it can tell them gone (exited) and reap them.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    const std::string marker = "30." + std::to_string(getpid());
    testing::ChildGuard supervisor([&] {
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        execl(RINGRUN_BINARY, RINGRUN_BINARY, "-j2", "--backend", backend.c_str(), "sleep",
              ":::", marker.c_str(), marker.c_str(), marker.c_str(), static_cast<char*>(nullptr));
        return 127;
    });
    ASSERT_TRUE(testing::poll_until(
        [&] { return testing::processes_matching("sleep " + marker).size() == 2; },
        std::chrono::seconds(20)));
    std::vector<pid_t> run = testing::processes_matching("sleep " + marker);
    for (pid_t child : testing::children_of(supervisor.pid())) run.push_back(child);
    // Two commands and the reaper, and two workers when they are processes.
    ASSERT_GE(run.size(), backend == "processes" ? 5u : 3u);
    const std::string segment_prefix = "ringrun." + std::to_string(supervisor.pid()) + ".";
    auto segment_left = [&] {
        for (const auto& e : std::filesystem::directory_iterator("/dev/shm"))
            if (e.path().filename().string().rfind(segment_prefix, 0) == 0) return true;
        return false;
    };
    // Only worker processes need a shared segment; threads share the supervisor's memory.
    EXPECT_EQ(segment_left(), backend == "processes");

    kill(supervisor.pid(), SIGKILL);
    supervisor.wait_exit(std::chrono::seconds(5));  // reaped: a zombie still holds its pid
    bool all_gone = testing::poll_until(
        [&] {
            for (pid_t pid : run) waitpid(pid, nullptr, WNOHANG);
            for (pid_t pid : run)
                if (!testing::process_gone(pid)) return false;
            return true;
        },
        std::chrono::seconds(2));
    for (pid_t pid : run)
        if (!testing::process_gone(pid))
            ADD_FAILURE() << "still running: " << pid << " " << testing::command_line_of(pid);
    EXPECT_TRUE(all_gone);
    for (pid_t pid : run) kill(pid, SIGKILL);

    // The next run removes the dead run's segment (a run of a test alongside may have already).
    auto next = run_program({RINGRUN_BINARY, "--task", "noop", ":::", "1"});
    EXPECT_EQ(next.exit_code, 0) << next.err;
    EXPECT_FALSE(segment_left());
}

INSTANTIATE_TEST_SUITE_P(Crash, SupervisorKilled, ::testing::Values("processes", "threads"));

TEST(Crash, CommandTimeoutOnThreadsToo) {
    ProgramRun run;
    run.argv = {RINGRUN_BINARY, "--backend", "threads", "--timeout", "0.3", "sleep", ":::", "60"};
    run.timeout = std::chrono::seconds(30);
    auto r = run_program(run);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
}

// --- The contrast: threads cannot contain a crash ----------------------------------------

TEST(Crash, ThreadsBackendCrashTakesTheWholeRunDownWhereProcessesCarryOn) {
    // run_program runs ringrun in a child process: its death is observed, not suffered.
    auto threads =
        run_program({RINGRUN_BINARY, "-j2", "--backend", "threads", "--task", "crash", ":::", "1"});
    EXPECT_EQ(threads.exit_code, 128 + SIGSEGV) << threads.err;
    auto processes = run_program({RINGRUN_BINARY, "-j2", "--task", "crash", ":::", "1"});
    EXPECT_EQ(processes.exit_code, 1) << processes.err;  // one failed job, run completed
}

}  // namespace
}  // namespace ringrun
