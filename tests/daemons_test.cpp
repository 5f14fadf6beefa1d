// Processes a job starts that leave its process group (setsid, a double fork) do not
// outlive the run, whether it ends by itself or its supervisor is SIGKILLed; and a
// background process that ends during the run leaves no zombie behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

using namespace std::chrono_literals;
using testing::process_gone;
using testing::read_file;
using testing::run_program;
using testing::ScratchDir;

// The pid a daemon wrote to path, once it has (0 if it never did).
pid_t daemon_pid(const std::string& path) {
    pid_t pid = 0;
    testing::poll_until(
        [&] {
            pid = static_cast<pid_t>(std::atol(read_file(path).c_str()));
            return pid > 0;
        },
        20s);
    return pid;
}

// A job starting a daemon that escapes its group: setsid in a double fork.
std::string daemon_command(const std::string& pid_file, const char* after) {
    return "setsid sh -c 'sh -c \"echo \\$\\$ > " + pid_file + "; exec sleep 300\" &' " +
           "> /dev/null 2>&1 < /dev/null; " + after + " # {}";
}

TEST(Daemons, ADaemonAJobStartedIsKilledWhenTheRunEnds) {
    ScratchDir dir;
    const std::string pid_file = dir.path("daemon.pid");
    auto r = run_program(
        {RINGRUN_BINARY, daemon_command(pid_file, "sleep 0.3; echo started"), ":::", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const pid_t pid = daemon_pid(pid_file);
    ASSERT_GT(pid, 0);
    const bool gone = testing::poll_until([&] { return process_gone(pid); }, 20s);
    if (!gone) kill(pid, SIGKILL);
    EXPECT_TRUE(gone) << "the daemon outlived the run";
}

TEST(Daemons, ADaemonIsKilledWhenTheSupervisorIsSigkilled) {
    ScratchDir dir;
    const std::string pid_file = dir.path("daemon.pid");
    const std::string command = daemon_command(pid_file, "sleep 300");
    testing::ChildGuard supervisor([&] {
        execl(RINGRUN_BINARY, RINGRUN_BINARY, command.c_str(), ":::", "1", nullptr);
        return 127;
    });
    const pid_t pid = daemon_pid(pid_file);
    ASSERT_GT(pid, 0);
    kill(supervisor.pid(), SIGKILL);
    const bool gone = testing::poll_until([&] { return process_gone(pid); }, 20s);
    if (!gone) kill(pid, SIGKILL);
    EXPECT_TRUE(gone) << "the daemon outlived its supervisor's SIGKILL";
}

TEST(Daemons, BackgroundProcessesThatEndLeaveNoZombieInTheWorker) {
    // Each job counts the zombies under its worker, then leaves a short-lived orphan;
    // the worker reaps them between jobs.
    auto r = run_program({RINGRUN_BINARY, "-j1",
                          "ps -o stat= --ppid $PPID | grep -c Z; "
                          "setsid sh -c 'sleep 0.01 &' > /dev/null; sleep 0.05 # {}",
                          ":::", "1", "2", "3", "4", "5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& line : testing::lines_of(r.out)) EXPECT_EQ(line, "0") << r.out;
}

}  // namespace
}  // namespace ringrun
