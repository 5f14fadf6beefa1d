// The ringrun binary, run as a user runs it, on both backends: output, exit codes,
// stdin streaming, failing and missing commands, output larger than a ring, usage errors;
// and that the process backend really runs jobs in worker processes that are children of
// the supervisor, and removes its shared memory at exit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

using testing::lines_of;
using testing::ProgramResult;

class CliBothBackends : public ::testing::TestWithParam<const char*> {
  protected:
    ProgramResult ringrun(std::vector<std::string> args, std::string input = {}) {
        std::vector<std::string> argv = {RINGRUN_BINARY, "--backend", GetParam()};
        argv.insert(argv.end(), args.begin(), args.end());
        return testing::run_program(argv, std::move(input));
    }
};

TEST_P(CliBothBackends, RunsEveryInputOnce) {
    auto r = ringrun({"-j4", "echo", "hello", "{}", ":::", "a", "b", "c", "d"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true),
              (std::vector<std::string>{"hello a", "hello b", "hello c", "hello d"}));
    EXPECT_EQ(r.err, "");
}

TEST_P(CliBothBackends, StreamsInputFromStdin) {
    std::string input;
    std::vector<std::string> expected;
    for (int i = 1; i <= 20000; ++i) {
        input += std::to_string(i) + "\n";
        expected.push_back(std::to_string(i));
    }
    std::sort(expected.begin(), expected.end());
    auto r = ringrun({"--task", "echo"}, input);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), expected);
}

TEST_P(CliBothBackends, StdinLinesBecomeCommandArguments) {
    auto r = ringrun({"-j2", "printf '[%s]\\n'"}, "with space\nplain\n$(touch injected)\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true),
              (std::vector<std::string>{"[$(touch injected)]", "[plain]", "[with space]"}));
}

TEST_P(CliBothBackends, ExitStatusCountsFailedJobs) {
    auto r = ringrun({"exit {}", ":::", "0", "1", "2", "0", "5"});
    EXPECT_EQ(r.exit_code, 3);
}

TEST_P(CliBothBackends, ExitStatusCapsAt101) {
    std::string input;
    for (int i = 0; i < 150; ++i) input += "x\n";
    auto r = ringrun({"false"}, input);
    EXPECT_EQ(r.exit_code, 101);
}

TEST_P(CliBothBackends, MissingCommandFailsItsJobWithOneLine) {
    auto r = ringrun({"ringrun-no-such-command", ":::", "1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("ringrun-no-such-command: command not found"), std::string::npos) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
}

TEST_P(CliBothBackends, EachJobsOutputIsPrintedWhole) {
    auto r = ringrun({"-j4", "for i in 1 2 3 4 5 6 7 8; do echo {}-$i; sleep 0.001; done",
                      ":::", "a", "b", "c", "d"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 32u);
    for (size_t job = 0; job < 4; ++job) {
        std::string prefix = lines[job * 8].substr(0, 2);
        for (int i = 0; i < 8; ++i)
            EXPECT_EQ(lines[job * 8 + i], prefix + std::to_string(i + 1)) << r.out;
    }
}

TEST_P(CliBothBackends, OutputLargerThanARingArrivesIntact) {
    auto r = ringrun({"head -c {} /dev/zero | tr '\\0' x", ":::", "3000000"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string(3000000, 'x'));
}

TEST_P(CliBothBackends, StderrIsPassedThrough) {
    auto r = ringrun({"echo {} >&2", ":::", "to-stderr"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "to-stderr\n");
}

TEST_P(CliBothBackends, NoInputsMeansNoJobs) {
    auto r = ringrun({"echo", ":::"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
}

INSTANTIATE_TEST_SUITE_P(Backends, CliBothBackends, ::testing::Values("processes", "threads"));

std::string script(const std::string& body) {
    std::string path = std::filesystem::temp_directory_path() /
                       ("ringrun-test-" + std::to_string(getpid()) + ".sh");
    std::ofstream(path) << "#!/bin/sh\n" << body;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
}

TEST(CliProcesses, JobsRunInWorkerProcessesThatAreChildrenOfTheSupervisor) {
    // Each job reports its worker (its parent), the worker's parent, the worker's title
    // and which shared-memory segments its supervisor holds.
    std::string path = script(
        "w=$PPID\n"
        "s=$(sed 's/.*) //' /proc/$w/stat | cut -d' ' -f2)\n"
        "echo \"$w $s $(tr '\\0' ' ' < /proc/$w/cmdline | sed 's/ *$//')|$(ls /dev/shm | grep "
        "\"^ringrun\\.$s\\.\")\"\n");
    auto r = testing::run_program(
        {RINGRUN_BINARY, "-j2", path, ":::", "1", "2", "3", "4", "5", "6", "7", "8"});
    std::filesystem::remove(path);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> workers, supervisors, segments;
    for (const auto& line : lines_of(r.out)) {
        std::istringstream in(line.substr(0, line.find('|')));
        std::string worker, supervisor;
        in >> worker >> supervisor;
        std::string title = line.substr(line.find(' ', line.find(' ') + 1) + 1);
        title = title.substr(0, title.find('|'));
        EXPECT_EQ(title.rfind("ringrun: worker ", 0), 0u) << line;
        EXPECT_NE(worker, supervisor);
        workers.insert(worker);
        supervisors.insert(supervisor);
        segments.insert(line.substr(line.find('|') + 1));
    }
    EXPECT_EQ(workers.size(), 2u) << r.out;
    EXPECT_EQ(supervisors.size(), 1u) << r.out;
    ASSERT_EQ(segments.size(), 1u) << r.out;
    ASSERT_FALSE(segments.begin()->empty()) << "no shared segment seen during the run";
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/" + *segments.begin()))
        << "segment left after exit";
}

TEST(CliThreads, JobsRunAsChildrenOfTheRunnerItself) {
    std::string path = script("tr '\\0' ' ' < /proc/$PPID/cmdline\necho\n");
    auto r = testing::run_program(
        {RINGRUN_BINARY, "--backend", "threads", "-j2", path, ":::", "1", "2"});
    std::filesystem::remove(path);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& line : lines_of(r.out))
        EXPECT_NE(line.find("--backend threads"), std::string::npos) << line;
}

TEST(CliUsage, BadCommandLinesExit255WithOneLine) {
    for (std::vector<std::string> args : {std::vector<std::string>{},
                                          {"-j", "abc", "echo"},
                                          {"--backend", "fibers", "echo"},
                                          {"--task", "no-such-task"},
                                          {"--task", "noop", "echo"}}) {
        args.insert(args.begin(), RINGRUN_BINARY);
        auto r = testing::run_program(args);
        EXPECT_EQ(r.exit_code, 255) << args.size();
        EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
        EXPECT_EQ(r.err.rfind("ringrun: ", 0), 0u) << r.err;
    }
}

TEST(CliUsage, VersionAndHelp) {
    auto v = testing::run_program({RINGRUN_BINARY, "--version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_EQ(v.out.rfind("ringrun ", 0), 0u);
    auto h = testing::run_program({RINGRUN_BINARY, "--help"});
    EXPECT_EQ(h.exit_code, 0);
    EXPECT_NE(h.out.find("--jobs"), std::string::npos);
}

TEST(CliProcesses, WorkerKilledMidRunIsReplacedAndItsJobRetried) {
    // The job kills its own worker the first time it runs; the retry succeeds.
    std::string marker =
        std::filesystem::temp_directory_path() / ("ringrun-kill-" + std::to_string(getpid()));
    std::filesystem::remove(marker);
    std::string path = script("if [ ! -e " + marker + " ]; then touch " + marker +
                              "; kill -9 $PPID; sleep 5; fi\necho done $1\n");
    auto r = testing::run_program({RINGRUN_BINARY, "-j2", path, ":::", "a", "b", "c"});
    std::filesystem::remove(path);
    std::filesystem::remove(marker);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), (std::vector<std::string>{"done a", "done b", "done c"}));
    EXPECT_NE(r.err.find("killed by signal SIGKILL"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ringrun
