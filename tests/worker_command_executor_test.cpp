// The command executor against real commands: exit codes, signals, captured output,
// a missing command, environment and working directory, and a timeout that kills the
// command's whole process group.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_support.hpp"
#include "worker/command_executor.hpp"

namespace ringrun {
namespace {

JobSpec shell(const std::string& line) {
    JobSpec job;
    job.id = 1;
    job.kind = JobSpec::Kind::shell;
    job.shell_line = line;
    return job;
}

JobSpec argv(std::vector<std::string> args) {
    JobSpec job;
    job.id = 1;
    job.argv = std::move(args);
    return job;
}

TEST(CommandExecutor, CapturesStdoutAndStderrSeparately) {
    JobResult r = run_command(shell("echo out; echo err >&2"), 0);
    EXPECT_EQ(r.status, JobStatus::ok);
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
    EXPECT_GE(r.end_ns, r.start_ns);
}

TEST(CommandExecutor, RunsArgvWithoutShell) {
    JobResult r = run_command(argv({"printf", "%s|", "a b", "$HOME", ";"}), 0);
    EXPECT_EQ(r.status, JobStatus::ok);
    EXPECT_EQ(r.out, "a b|$HOME|;|");
}

TEST(CommandExecutor, ReportsExitCode) {
    JobResult r = run_command(shell("exit 3"), 2);
    EXPECT_EQ(r.status, JobStatus::failed);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.worker_slot, 2u);
}

TEST(CommandExecutor, ReportsSignal) {
    JobResult r = run_command(shell("kill -TERM $$"), 0);
    EXPECT_EQ(r.status, JobStatus::signaled);
    EXPECT_EQ(r.signal, SIGTERM);
}

TEST(CommandExecutor, MissingCommandIsAnErrorWithExit127) {
    JobResult r = run_command(argv({"ringrun-no-such-command-xyz"}), 0);
    EXPECT_EQ(r.status, JobStatus::error);
    EXPECT_EQ(r.exit_code, 127);
    EXPECT_NE(r.error_text.find("command not found"), std::string::npos) << r.error_text;
}

TEST(CommandExecutor, BadWorkingDirectoryIsAnError) {
    JobSpec job = argv({"true"});
    job.cwd = "/nonexistent/dir";
    JobResult r = run_command(job, 0);
    EXPECT_EQ(r.status, JobStatus::error);
    EXPECT_NE(r.error_text.find("/nonexistent/dir"), std::string::npos) << r.error_text;
}

TEST(CommandExecutor, AppliesEnvironmentAndWorkingDirectory) {
    JobSpec job = shell("echo $RINGRUN_TEST_VAR; pwd");
    job.env = {{"RINGRUN_TEST_VAR", "hello"}};
    job.cwd = "/";
    JobResult r = run_command(job, 0);
    EXPECT_EQ(r.out, "hello\n/\n");
}

TEST(CommandExecutor, StdinIsEmpty) {
    JobResult r = run_command(argv({"cat"}), 0);
    EXPECT_EQ(r.status, JobStatus::ok);
    EXPECT_EQ(r.out, "");
}

TEST(CommandExecutor, RunsInItsOwnProcessGroup) {
    JobResult r = run_command(shell("ps -o pgid= -p $$; echo $$"), 0);
    auto lines = testing::lines_of(r.out);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(std::stol(lines[0]), std::stol(lines[1]));
}

TEST(CommandExecutor, TimeoutKillsWholeProcessGroup) {
    std::string marker =
        std::filesystem::temp_directory_path() / ("ringrun-timeout-" + std::to_string(getpid()));
    JobSpec job = shell("sleep 30 & echo $! > " + marker + "; wait");
    job.timeout_ms = 100;
    JobResult r = run_command(job, 0);
    EXPECT_EQ(r.status, JobStatus::timeout);
    std::ifstream in(marker);
    pid_t background = 0;
    in >> background;
    ASSERT_GT(background, 0);
    // The background sleep was in the command's group: it must be gone too.
    EXPECT_TRUE(
        testing::poll_until([&] { return kill(background, 0) != 0; }, std::chrono::seconds(5)));
    std::filesystem::remove(marker);
}

TEST(CommandExecutor, TimeoutEscalatesToKillWhenTermIsIgnored) {
    JobSpec job = shell("trap '' TERM; while :; do :; done");
    job.timeout_ms = 50;
    CommandLimits limits;
    limits.termseq = {{SIGTERM, std::chrono::milliseconds(100)}};
    JobResult r = run_command(job, 0, limits);
    EXPECT_EQ(r.status, JobStatus::timeout);
    EXPECT_EQ(r.signal, SIGKILL);
}

TEST(CommandExecutor, TermseqSendsEachSignalInTurn) {
    // The command counts the signals it survives, and dies on the third.
    JobSpec job = shell(
        "n=0; trap 'n=$((n+1)); echo got$n; [ $n -ge 2 ] && exit 7' USR1 TERM; "
        "echo ready; while :; do sleep 0.01; done");
    job.timeout_ms = 100;
    CommandLimits limits;
    limits.termseq = {{SIGUSR1, std::chrono::milliseconds(300)},
                      {SIGTERM, std::chrono::milliseconds(300)},
                      {SIGKILL, std::chrono::milliseconds(0)}};
    JobResult r = run_command(job, 0, limits);
    EXPECT_EQ(r.status, JobStatus::timeout);
    EXPECT_EQ(r.out, "ready\ngot1\ngot2\n");
    EXPECT_EQ(r.exit_code, 7);
}

TEST(CommandExecutor, SeesItsSequenceAndSlotAsGnuParallelNamesThem) {
    JobSpec job = shell("echo $RINGRUN_SEQ $PARALLEL_SEQ $RINGRUN_SLOT $PARALLEL_JOBSLOT");
    job.id = 42;
    JobResult r = run_command(job, 2);
    EXPECT_EQ(r.out, "42 42 3 3\n");
}

TEST(CommandExecutor, GroupedOutputPastTheLimitGoesToAFileWhole) {
    const std::string dir = ::testing::TempDir();
    CommandLimits limits;
    limits.inline_output_limit = 1000;
    limits.output_directory = dir;
    JobSpec job = shell("head -c 300000 /dev/zero | tr '\\0' x; echo; echo small >&2");
    job.id = 9;
    JobResult r = run_command(job, 0, limits);
    EXPECT_EQ(r.status, JobStatus::ok);
    EXPECT_TRUE(r.out.empty());
    ASSERT_FALSE(r.out_file.empty());
    EXPECT_EQ(std::filesystem::file_size(r.out_file), 300001u);
    EXPECT_EQ(r.out_bytes, 300001u);
    EXPECT_EQ(r.err, "small\n");  // under the limit: stays in memory
    EXPECT_TRUE(r.err_file.empty());
    std::filesystem::remove(r.out_file);
}

TEST(CommandExecutor, DoesNotWaitForBackgroundGrandchildHoldingPipes) {
    auto start = std::chrono::steady_clock::now();
    JobResult r =
        run_command(shell("echo started; (sleep 20 >/dev/null 2>&1 &); (sleep 20 &); exit 0"), 0);
    EXPECT_EQ(r.status, JobStatus::ok);
    EXPECT_EQ(r.out, "started\n");
    // No timing assertion on speed: only that it did not wait out the 20 s grandchild.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST(CommandExecutor, RecordsResourceUsage) {
    JobResult r = run_command(shell("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"), 0);
    EXPECT_EQ(r.status, JobStatus::ok);
    EXPECT_GT(r.max_rss_kb, 0);
    EXPECT_GT(r.user_cpu_us + r.sys_cpu_us, 0);
}

}  // namespace
}  // namespace ringrun
