// What used to hang, crash or fail jobs for nothing, through the binary: a worker stopped
// under a command with --timeout, a full /dev/shm, a moment out of processes (ulimit -u),
// and numbers that overflowed (the widest range, a float limit, durations past 1e9 s).
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

using testing::lines_of;
using testing::run_program;
using testing::ScratchDir;

TEST(Hangs, AWorkerStoppedUnderATimedCommandIsKilledAndTheRunGoesOn) {
    // The command stops its own worker (its parent), then outlives its timeout.
    testing::ProgramRun run;
    run.argv = {RINGRUN_BINARY,
                "-j1",
                "--timeout",
                "1",
                "if [ {} = 2 ]; then kill -STOP $PPID; sleep 30; fi; echo {}",
                ":::",
                "1",
                "2",
                "3"};
    run.timeout = std::chrono::seconds(30);
    auto r = run_program(run);
    ASSERT_FALSE(r.timed_out) << "the run hung on a stopped worker";
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"1", "3"})) << r.err;
    EXPECT_NE(r.err.find("job 2 ("), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("timed out after 1000 ms, and its worker had not ended it"),
              std::string::npos)
        << r.err;
}

TEST(Hangs, AFullDevShmIsOneLineNotASigbus) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for a private /dev/shm";
    auto probe = run_program({"unshare", "-m", "true"});
    if (probe.exit_code != 0) GTEST_SKIP() << "no mount namespaces here: " << probe.err;
    auto r = run_program({"unshare", "-m", "sh", "-c",
                          "mount -t tmpfs -o size=64k tmpfs /dev/shm && exec " +
                              std::string(RINGRUN_BINARY) + " echo ::: a b"});
    EXPECT_EQ(r.exit_code, 255) << r.err;
    EXPECT_NE(r.err.find("/dev/shm has no room for the run's shared memory"), std::string::npos)
        << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
}

TEST(ProcessLimit, CommandsThatFindNoFreeProcessSlotWaitForOneInsteadOfFailing) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run as another user under ulimit -u";
    // As nobody with 7 processes: the shell, ringrun, its reaper and 3 workers leave room
    // for one command at a time, so two of three spawns find none for a moment.
    std::string inputs;
    for (int i = 0; i < 30; ++i) inputs += " 0.05";
    auto r = run_program(
        {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", "-c",
         "ulimit -u 7 && exec " + std::string(RINGRUN_BINARY) + " -j3 sleep :::" + inputs});
    if (r.err.find("fork(worker)") != std::string::npos || r.exit_code == 126 || r.exit_code == 127)
        GTEST_SKIP() << "cannot run it as nobody here: " << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("Resource temporarily unavailable"), std::string::npos) << r.err;
}

TEST(Overflows, TheWidestRangeAndAFloatLimitAreErrorsAtTheirLines) {
    ScratchDir dir;
    const std::string file =
        dir.write("p.toml",
                  "[job.a]\ncmd = \"echo {}\"\n"
                  "each.x = { range = [-9223372036854775808, 9223372036854775807] }\n"
                  "[job.b]\ncmd = \"true\"\nlimit = 1e308\ntimeout = 1e308\n");
    testing::ProgramRun run;
    run.argv = {RINGRUN_BINARY, "check", file};
    run.timeout = std::chrono::seconds(20);
    auto r = run_program(run);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("p.toml:3:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("under 10 million values"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("p.toml:6:9: job.b.limit must be an integer"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("p.toml:7:"), std::string::npos) << r.err;
}

TEST(Overflows, DurationsPastABillionSecondsAreRefused) {
    for (const char* option : {"--timeout", "--delay", "--retry-delay"}) {
        auto r = run_program({RINGRUN_BINARY, option, "1e10", "echo", ":::", "a"});
        EXPECT_EQ(r.exit_code, 255) << option;
        EXPECT_NE(r.err.find("at most 1e9"), std::string::npos) << r.err;
    }
    auto fine = run_program({RINGRUN_BINARY, "--timeout", "1e9", "echo", ":::", "a"});
    EXPECT_EQ(fine.exit_code, 0) << fine.err;
    EXPECT_EQ(fine.out, "a\n");
}

}  // namespace
}  // namespace ringrun
