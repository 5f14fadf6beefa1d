// The ringrun binary, run as a user runs it, on both backends: output, exit codes,
// stdin streaming, failing and missing commands, output larger than a ring, usage errors;
// and that the process backend really runs jobs in worker processes that are children of
// the supervisor, and removes its shared memory at exit.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
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
    for (std::vector<std::string> args : {std::vector<std::string>{"-j", "abc", "echo"},
                                          {"--backend", "fibers", "echo"},
                                          {"--task", "no-such-task"},
                                          {"--task", "noop", "echo"},
                                          {"-a", "/", "echo"},
                                          {"-S", "host", "echo", ":::", "a"},
                                          {"--transfer", "echo", ":::", "a"},
                                          {"echo", "::::", "/"}}) {
        args.insert(args.begin(), RINGRUN_BINARY);
        auto r = testing::run_program(args);
        EXPECT_EQ(r.exit_code, 255) << args.size();
        EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
        EXPECT_EQ(r.err.rfind("ringrun: ", 0), 0u) << r.err;
    }
    // A directory as an input file is named (GNU parallel reads nothing and exits 0).
    EXPECT_EQ(testing::run_program({RINGRUN_BINARY, "-a", "/", "echo"}).err,
              "ringrun: cannot read input file '/': Is a directory\n");
    // An option ringrun does not know is not taken for the command (as GNU parallel).
    for (const char* option : {"--bogus", "--foo=bar", "-Q"}) {
        auto r = testing::run_program({RINGRUN_BINARY, option, "echo", ":::", "a"});
        EXPECT_EQ(r.exit_code, 255) << option;
        EXPECT_EQ(r.out, "") << option;
        std::string name = std::string(option).substr(std::string(option).find_first_not_of('-'));
        name = name.substr(0, name.find('='));
        EXPECT_EQ(r.err, "ringrun: Unknown option: " + name + "\n") << option;
    }
}

TEST(CliUsage, RemoteOptionsPointToTheSlurmWay) {
    auto r = testing::run_program({RINGRUN_BINARY, "--sshlogin", "a,b", "echo", ":::", "x"});
    EXPECT_EQ(r.exit_code, 255);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("not supported"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Slurm job array"), std::string::npos) << r.err;
}

TEST(CliUsage, OptionsFromTheParallelVariableComeFirst) {
    testing::ProgramRun run;
    run.argv = {RINGRUN_BINARY, "echo", ":::", "a", "b"};
    run.env = {"PARALLEL=-k --tagstring 'x y'"};
    auto r = testing::run_program(run);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "x y\ta\nx y\tb\n");
    run.env = {"PARALLEL=--tagstring 'x"};
    r = testing::run_program(run);
    EXPECT_EQ(r.exit_code, 255);
    EXPECT_EQ(r.err, "ringrun: $PARALLEL: unclosed '\n");
}

TEST(CliUsage, ShufRunsEveryJobOnceInAShuffledOrder) {
    std::vector<std::string> args = {RINGRUN_BINARY, "-k", "--shuf", "echo", "{#}", "{}", ":::"};
    std::string in_order;
    for (int i = 1; i <= 50; ++i) {
        args.push_back(std::to_string(i));
        in_order += std::to_string(i) + " " + std::to_string(i) + "\n";
    }
    auto r = testing::run_program(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 50u);
    std::set<std::string> inputs;
    for (size_t i = 0; i < lines.size(); ++i) {
        EXPECT_EQ(lines[i].substr(0, lines[i].find(' ')), std::to_string(i + 1));  // {#}
        inputs.insert(lines[i].substr(lines[i].find(' ') + 1));
    }
    EXPECT_EQ(inputs.size(), 50u);
    EXPECT_NE(r.out, in_order);  // the chance of no change at all is 1 in 50!
}

TEST(CliUsage, WithoutACommandEachInputIsACommandLine) {
    auto args = testing::run_program({RINGRUN_BINARY, "-k", ":::", "echo a; echo b", "exit 3"});
    EXPECT_EQ(args.exit_code, 1) << args.err;
    EXPECT_EQ(args.out, "a\nb\n");
    testing::ProgramRun from_stdin;
    from_stdin.argv = {RINGRUN_BINARY, "-k"};
    from_stdin.input = "echo 'x y'\nprintf '%s\\n' z\n";
    auto r = testing::run_program(from_stdin);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "x y\nz\n");
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
    // mkdir is atomic: exactly one of the concurrent jobs kills its worker.
    std::string path = script("if mkdir " + marker +
                              " 2>/dev/null; then kill -9 $PPID; sleep 5; fi\necho done $1\n");
    auto r = testing::run_program({RINGRUN_BINARY, "-j2", path, ":::", "a", "b", "c"});
    std::filesystem::remove(path);
    std::filesystem::remove(marker);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), (std::vector<std::string>{"done a", "done b", "done c"}));
    EXPECT_NE(r.err.find("was killed by SIGKILL"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ringrun

namespace ringrun {
namespace {

// Starts ringrun in a guarded child with stdout/stderr discarded.
testing::ChildGuard start_ringrun(std::vector<std::string> args) {
    return testing::ChildGuard([args] {
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        std::vector<char*> argv;
        std::string binary = RINGRUN_BINARY;
        argv.push_back(binary.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(binary.c_str(), argv.data());
        return 127;
    });
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> segments_of(pid_t pid) {
    std::vector<std::string> found;
    std::string prefix = "ringrun." + std::to_string(pid) + ".";
    for (const auto& entry : std::filesystem::directory_iterator("/dev/shm"))
        if (entry.path().filename().string().rfind(prefix, 0) == 0) found.push_back(entry.path());
    return found;
}

class CliInterrupt : public ::testing::TestWithParam<int> {};

TEST_P(CliInterrupt, FirstSignalLetsRunningJobsFinishThenRemovesSharedMemory) {
    const int sig = GetParam();
    std::string marker =
        std::filesystem::temp_directory_path() / ("ringrun-int-" + std::to_string(getpid()));
    std::filesystem::remove(marker);
    // Each job marks that it started, then takes a moment; there are far more jobs than
    // an interrupted run will start.
    auto child = start_ringrun({"-j2", "touch " + marker + "; sleep 0.2 # {}", ":::", "1", "2", "3",
                                "4", "5", "6", "7", "8", "9", "10", "11", "12"});
    ASSERT_TRUE(testing::poll_until([&] { return std::filesystem::exists(marker); },
                                    std::chrono::seconds(20)));
    auto segments = segments_of(child.pid());
    ASSERT_EQ(segments.size(), 1u);
    kill(child.pid(), sig);
    int status = child.wait_exit(std::chrono::seconds(20));
    ASSERT_NE(status, -1) << "ringrun did not exit after one interrupt";
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + sig);
    EXPECT_FALSE(std::filesystem::exists(segments[0])) << "segment left after interrupt";
    std::filesystem::remove(marker);
}

TEST_P(CliInterrupt, SecondSignalStopsAtOnceAndRemovesSharedMemory) {
    const int sig = GetParam();
    std::string marker =
        std::filesystem::temp_directory_path() / ("ringrun-int2-" + std::to_string(getpid()));
    std::filesystem::remove(marker);
    // Each job records its process group (the shell leads it) before sleeping.
    auto child =
        start_ringrun({"-j2", "echo $$ >> " + marker + "; sleep 30 # {}", ":::", "1", "2"});
    ASSERT_TRUE(testing::poll_until([&] { return std::filesystem::exists(marker); },
                                    std::chrono::seconds(20)));
    auto segments = segments_of(child.pid());
    ASSERT_EQ(segments.size(), 1u);
    // Two signals sent back to back coalesce into one: interrupt until the run stops.
    int status = -1;
    testing::poll_until(
        [&] {
            kill(child.pid(), sig);
            return (status = child.wait_exit(std::chrono::milliseconds(50))) != -1;
        },
        std::chrono::seconds(10));
    ASSERT_NE(status, -1) << "ringrun did not stop after a second interrupt";
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + sig);
    EXPECT_FALSE(std::filesystem::exists(segments[0])) << "segment left after second interrupt";
    // The commands run in their own process groups; ending them with a killed run is the
    // crash-recovery issue's work. End them here so nothing outlives the test.
    testing::poll_until([&] { return testing::lines_of(read_file(marker)).size() == 2; },
                        std::chrono::seconds(5));
    for (const auto& pgid : testing::lines_of(read_file(marker))) kill(-std::stoi(pgid), SIGKILL);
    std::filesystem::remove(marker);
}

INSTANTIATE_TEST_SUITE_P(Signals, CliInterrupt, ::testing::Values(SIGINT, SIGTERM));

}  // namespace
}  // namespace ringrun
