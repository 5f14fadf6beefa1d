// GNU parallel's options through the real binary: input sources (linked, files, -a, -0,
// -d, --colsep, -n, --header), replacement strings, -j forms, job environment, output
// modes (-k, --tag, --tagstring, --line-buffer, -u), --results, --joblog and --resume
// (also after the supervisor is SIGKILLed), --retries with --retry-delay, --timeout N%,
// --halt, --dry-run, progress, and that no input can inject shell syntax.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

namespace fs = std::filesystem;
using testing::lines_of;
using testing::ProgramResult;

ProgramResult ringrun(std::vector<std::string> args, std::string input = {}) {
    std::vector<std::string> argv = {RINGRUN_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_program(argv, std::move(input));
}

using TempDir = testing::ScratchDir;
using testing::read_file;

TEST(ParallelInputs, LinkedAndCrossedSources) {
    auto r = ringrun({"-k", "echo", ":::", "a", "b", "c", ":::+", "1", "2", ":::", "x", "y"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"a 1 x", "a 1 y", "b 2 x", "b 2 y"}));
}

TEST(ParallelInputs, FilesArgFilesAndStdinAsASource) {
    TempDir dir;
    std::string letters = dir.write("letters", "a\nb\n");
    std::string numbers = dir.write("numbers", "1\n2\n");
    auto crossed = ringrun({"-k", "-a", letters, "echo", "::::", numbers});
    EXPECT_EQ(lines_of(crossed.out), (std::vector<std::string>{"a 1", "a 2", "b 1", "b 2"}));
    auto linked = ringrun({"-k", "echo", "::::", letters, "::::+", numbers});
    EXPECT_EQ(lines_of(linked.out), (std::vector<std::string>{"a 1", "b 2"}));
    auto with_stdin = ringrun({"-k", "echo", "::::", "-", ":::", "x"}, "s1\ns2\n");
    EXPECT_EQ(lines_of(with_stdin.out), (std::vector<std::string>{"s1 x", "s2 x"}));
    auto missing = ringrun({"echo", "::::", dir.path("nope")});
    EXPECT_EQ(missing.exit_code, 255);
    EXPECT_NE(missing.err.find("cannot read input file"), std::string::npos) << missing.err;
}

TEST(ParallelInputs, NullAndOtherDelimiters) {
    auto nul = ringrun({"-k", "-0", "echo", "[{}]"}, std::string("a b\0c\nd\0", 8));
    EXPECT_EQ(nul.out, "[a b]\n[c\nd]\n");
    auto colon = ringrun({"-k", "-d", ":", "echo"}, "x:y:z");
    EXPECT_EQ(lines_of(colon.out), (std::vector<std::string>{"x", "y", "z"}));
    auto tab = ringrun({"-k", "-d", "\\t", "echo"}, "p\tq\t");
    EXPECT_EQ(lines_of(tab.out), (std::vector<std::string>{"p", "q"}));
}

TEST(ParallelInputs, ColumnsHeaderAndArgumentsPerJob) {
    auto cols = ringrun({"-k", "--colsep", ",", "echo", "{2}-{1}"}, "a,b\nc,d\n");
    EXPECT_EQ(lines_of(cols.out), (std::vector<std::string>{"b-a", "d-c"}));
    auto regex = ringrun({"-k", "--colsep", " +", "echo", "{3}{1}"}, "x   y z\n");
    EXPECT_EQ(cols.exit_code, 0);
    EXPECT_EQ(lines_of(regex.out), (std::vector<std::string>{"zx"}));
    auto header = ringrun({"-k", "--header", ":", "--colsep", ",", "echo", "{size}:{name}"},
                          "name,size\nf1,10\nf2,20\n");
    EXPECT_EQ(lines_of(header.out), (std::vector<std::string>{"10:f1", "20:f2"}));
    auto sources =
        ringrun({"-k", "--header", ":", "echo", "{L}{N}", ":::", "L", "a", "b", ":::", "N", "1"});
    EXPECT_EQ(lines_of(sources.out), (std::vector<std::string>{"a1", "b1"}));
    auto batch = ringrun({"-k", "-n", "2", "echo", "{2}-{1}", ":::", "1", "2", "3", "4", "5"});
    EXPECT_EQ(lines_of(batch.out), (std::vector<std::string>{"2-1", "4-3", "-5"}));
    auto all = ringrun({"-k", "-n", "3", "echo"}, "1\n2\n3\n4\n");
    EXPECT_EQ(lines_of(all.out), (std::vector<std::string>{"1 2 3", "4"}));
}

TEST(ParallelInputs, PositionalPathForms) {
    auto r =
        ringrun({"echo", "{1/.}", "{2//}", "{1.}", "{/}", ":::", "d/a.tar.gz", ":::", "/x/y/z"});
    EXPECT_EQ(r.out, "a.tar /x/y d/a.tar a.tar.gz z\n");
}

TEST(ParallelInputs, NoInputCanInjectShellSyntax) {
    TempDir dir;
    const std::vector<std::string> hostile = {"; rm -rf x",     "$(touch pwned)", "`touch pwned`",
                                              "a'b\"c",         "line1\nline2",   "\xff\xfe\x80",
                                              "&& touch pwned", "$HOME",          "*"};
    std::string input;
    for (const auto& h : hostile) input += h + '\0';
    ProgramResult r =
        testing::run_program({"/bin/sh", "-c",
                              std::string("cd ") + dir.path("") + " && " + RINGRUN_BINARY +
                                  " -0 -k 'printf \"<%s>\" {}; echo'"},
                             input);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string expected;
    for (const auto& h : hostile) expected += "<" + h + ">\n";
    EXPECT_EQ(r.out, expected);
    EXPECT_FALSE(fs::exists(dir.path("pwned")));
}

TEST(ParallelJobs, JobCountForms) {
    auto workers_for = [](const std::string& j) {
        // Each job prints its slot; with many more jobs than workers, every slot shows up.
        auto r = ringrun({"-j", j, "sh -c 'echo $PARALLEL_JOBSLOT; sleep 0.05' {}"}, [] {
            std::string in;
            for (int i = 0; i < 40; ++i) in += std::to_string(i) + "\n";
            return in;
        }());
        std::set<std::string> slots;
        for (const auto& line : lines_of(r.out)) slots.insert(line);
        return slots.size();
    };
    const size_t cores = static_cast<size_t>(sysconf(_SC_NPROCESSORS_ONLN));
    EXPECT_EQ(workers_for("3"), 3u);
    EXPECT_EQ(workers_for("+1"), cores + 1);
    EXPECT_EQ(workers_for("-100"), 1u);
    EXPECT_EQ(workers_for("200%"), 2 * cores);
    auto bad = ringrun({"-j", "lots", "true"});
    EXPECT_EQ(bad.exit_code, 255);
    EXPECT_NE(bad.err.find("-j expects"), std::string::npos);
    // -j 0: as many as there are jobs (here 5, all sleeping at once).
    auto all =
        ringrun({"-j", "0", "sh -c 'echo $PARALLEL_JOBSLOT'", ":::", "1", "2", "3", "4", "5"});
    EXPECT_EQ(lines_of(all.out, true), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
}

TEST(ParallelJobs, EnvironmentNamesSequenceAndSlot) {
    auto r = ringrun({"-j1", "-k",
                      "echo $RINGRUN_SEQ $PARALLEL_SEQ $RINGRUN_SLOT $PARALLEL_JOBSLOT {#} {%}",
                      ":::", "a", "b"});
    // A replacement string ({#}) is there, so {} is not appended (as GNU parallel).
    EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"1 1 1 1 1 1", "2 2 1 1 2 1"}));
}

TEST(ParallelOutput, KeepOrderTagAndTagstring) {
    auto r = ringrun({"-j4", "-k", "--tag", "sleep 0.0{}; echo done", ":::", "5", "1", "3"});
    EXPECT_EQ(r.out, "5\tdone\n1\tdone\n3\tdone\n");
    auto ts = ringrun({"-k", "--tagstring", "<{#}:{}>", "printf 'x\\ny\\n'", ":::", "a"});
    EXPECT_EQ(ts.out, "<1:a>\tx\n<1:a>\ty\n");
}

TEST(ParallelOutput, LineBufferInterleavesWholeLines) {
    // Each job prints a line, then waits until the other's first line has reached the
    // run's output (a file), then prints another: this finishes only if lines pass
    // through while jobs still run. A job gives up after 20 s and says so.
    TempDir dir;
    const std::string out = dir.path("out");
    const std::string script =
        dir.write("job.sh", "echo first-$1; i=0; while ! grep -q \"first-$2\" " + out +
                                "; do i=$((i+1)); [ $i -gt 2000 ] && echo gave-up-$1 && exit 1; "
                                "sleep 0.01; done; echo second-$1\n");
    auto r = testing::run_program({"/bin/sh", "-c",
                                   std::string(RINGRUN_BINARY) + " -j2 --line-buffer --tag 'sh " +
                                       script + " {1} {2}' ::: a b :::+ b a > " + out});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(read_file(out));
    ASSERT_EQ(lines.size(), 4u) << read_file(out);
    // Whole tagged lines; each job's second line after the other's first.
    auto at = [&](const std::string& line) {
        return std::find(lines.begin(), lines.end(), line) - lines.begin();
    };
    EXPECT_LT(at("b a\tfirst-b"), at("a b\tsecond-a"));
    EXPECT_LT(at("a b\tfirst-a"), at("b a\tsecond-b"));
    EXPECT_LT(at("a b\tsecond-a"), 4);
    EXPECT_LT(at("b a\tsecond-b"), 4);
}

TEST(ParallelOutput, UngroupPassesOutputStraightThrough) {
    auto r = ringrun({"-u", "-j2", "echo", ":::", "x", "y"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out, true), (std::vector<std::string>{"x", "y"}));
}

TEST(ParallelOutput, AGibibyteOfOutputPassesThroughInBoundedMemory) {
    // The supervisor's and workers' peak RSS, as their parent (sh) sees its children.
    ProgramResult r = testing::run_program(
        {"/bin/sh", "-c",
         std::string(RINGRUN_BINARY) + " 'head -c {} /dev/zero' ::: 1073741824 | wc -c"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"1073741824"}));
    struct rusage usage {};
    getrusage(RUSAGE_CHILDREN, &usage);
    // ru_maxrss of the largest descendant waited for, in KiB.
    EXPECT_LT(usage.ru_maxrss, 64 * 1024) << "a process of the run held the output in memory";
}

TEST(ParallelResults, DirectoryAndJsonLines) {
    TempDir dir;
    const std::string out = dir.path("out");
    auto r = ringrun({"--results", out, "sh -c 'echo o-$0; echo e-$0 >&2; exit $1'", ":::", "a",
                      "b/c", ":::", "0", "3"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(read_file(out + "/1/a/2/0/stdout"), "o-a\n");
    EXPECT_EQ(read_file(out + "/1/a/2/3/stderr"), "e-a\n");
    EXPECT_EQ(read_file(out + "/1/b\\_c/2/3/seq"), "4");
    std::string meta = read_file(out + "/1/b\\_c/2/3/result.json");
    EXPECT_NE(meta.find("\"exit\":3"), std::string::npos) << meta;
    EXPECT_NE(meta.find("\"status\":\"failed\""), std::string::npos) << meta;

    const std::string jsonl = dir.path("r.jsonl");
    auto j = ringrun({"-k", "--results", jsonl, "printf 'q\"\\n'; exit", ":::", "0", "1"});
    EXPECT_EQ(j.exit_code, 1);
    auto lines = lines_of(read_file(jsonl), true);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find("\"seq\":1,\"input\":[\"0\"]"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"stdout\":\"q\\\"\\n\""), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("\"exit\":1"), std::string::npos) << lines[1];
}

std::vector<std::vector<std::string>> joblog_rows(const std::string& path) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& line : lines_of(read_file(path))) {
        std::vector<std::string> fields;
        std::stringstream s(line);
        for (std::string f; std::getline(s, f, '\t');) fields.push_back(f);
        rows.push_back(fields);
    }
    return rows;
}

TEST(ParallelJoblog, GnuParallelsFormatAndResume) {
    TempDir dir;
    const std::string log = dir.path("log");
    auto r = ringrun({"--joblog", log, "-j2", "echo {}; exit {}", ":::", "0", "1", "0", "2"});
    EXPECT_EQ(r.exit_code, 2);
    auto rows = joblog_rows(log);
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"Seq", "Host", "Starttime", "JobRuntime", "Send",
                                                 "Receive", "Exitval", "Signal", "Command"}));
    std::map<std::string, std::vector<std::string>> by_seq;
    for (size_t i = 1; i < rows.size(); ++i) by_seq[rows[i][0]] = rows[i];
    EXPECT_EQ(by_seq["2"][1], ":");
    EXPECT_EQ(by_seq["2"][3].size(), 10u);  // %10.3f
    EXPECT_EQ(by_seq["2"][5], "2");         // bytes of stdout: "1\n"
    EXPECT_EQ(by_seq["2"][6], "1");
    EXPECT_EQ(by_seq["4"][8], "echo 2; exit 2");

    // --resume-failed reruns 2 and 4 only, and appends to the log.
    auto again = ringrun(
        {"--joblog", log, "--resume-failed", "-k", "echo again {}", ":::", "0", "1", "0", "2"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.out, "again 1\nagain 2\n");
    EXPECT_EQ(joblog_rows(log).size(), 7u);
    // --resume now skips them all.
    auto nothing = ringrun({"--joblog", log, "--resume", "echo", ":::", "0", "1", "0", "2"});
    EXPECT_EQ(nothing.out, "");
}

TEST(ParallelJoblog, RetryFailedReplaysTheLoggedCommands) {
    TempDir dir;
    const std::string log = dir.path("log");
    const std::string flag = dir.path("flag");
    // Fails until the flag exists.
    auto first = ringrun({"--joblog", log, "test -e " + flag + " && echo ok-{}", ":::", "a", "b"});
    EXPECT_EQ(first.exit_code, 2);
    std::ofstream(flag).put('x');
    auto retry = ringrun({"--joblog", log, "--retry-failed", "-k"});
    EXPECT_EQ(retry.exit_code, 0) << retry.err;
    EXPECT_EQ(retry.out, "ok-a\nok-b\n");
}

TEST(ParallelJoblog, ResumeAfterTheSupervisorIsKilledLosesAndRepeatsNothing) {
    TempDir dir;
    const std::string log = dir.path("log");
    const std::string done = dir.path("done");
    fs::create_directories(done);
    // Each job leaves a file; jobs from 30 on wait a long time, so the kill finds them running.
    const std::string job = "touch " + done + "/{}; [ {} -lt 30 ] || sleep 30";
    std::vector<std::string> args = {RINGRUN_BINARY, "-j4", "--joblog", log, job, ":::"};
    for (int i = 1; i <= 60; ++i) args.push_back(std::to_string(i));
    testing::ChildGuard supervisor([&] {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        execv(argv[0], argv.data());
        return 127;
    });
    // Killed once 29 jobs are logged and one of the long ones has begun.
    auto a_long_job_began = [&] {
        for (int i = 30; i <= 60; ++i)
            if (fs::exists(done + "/" + std::to_string(i))) return true;
        return false;
    };
    ASSERT_TRUE(
        testing::poll_until([&] { return joblog_rows(log).size() >= 30 && a_long_job_began(); },
                            std::chrono::seconds(30)));
    kill(supervisor.pid(), SIGKILL);
    supervisor.wait_exit(std::chrono::seconds(5));
    const size_t logged = joblog_rows(log).size() - 1;
    EXPECT_GE(logged, 29u);
    EXPECT_LT(logged, 60u);
    // Jobs that had begun (their file exists) but have no row: --resume must name them.
    std::set<std::string> logged_seqs;
    auto before = joblog_rows(log);
    for (size_t i = 1; i < before.size(); ++i) logged_seqs.insert(before[i][0]);
    size_t begun_unlogged = 0;
    for (int i = 1; i <= 60; ++i)
        begun_unlogged +=
            fs::exists(done + "/" + std::to_string(i)) && !logged_seqs.count(std::to_string(i));
    EXPECT_GE(begun_unlogged, 1u);

    std::vector<std::string> resume = {"--joblog", log, "--resume", "-j4", "touch " + done + "/{}",
                                       ":::"};
    for (int i = 1; i <= 60; ++i) resume.push_back(std::to_string(i));
    auto r = ringrun(resume);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const size_t named = r.err.find(" job(s) had started in an earlier run");
    ASSERT_NE(named, std::string::npos) << r.err;
    EXPECT_GE(std::stoul(r.err.substr(r.err.rfind(' ', named - 1) + 1)), begun_unlogged) << r.err;
    EXPECT_NE(r.err.find("may have run twice"), std::string::npos) << r.err;
    std::map<std::string, int> times_logged;
    auto rows = joblog_rows(log);
    for (size_t i = 1; i < rows.size(); ++i) ++times_logged[rows[i][0]];
    EXPECT_EQ(times_logged.size(), 60u);
    for (const auto& [seq, n] : times_logged) EXPECT_EQ(n, 1) << "job " << seq;
    for (int i = 1; i <= 60; ++i) EXPECT_TRUE(fs::exists(done + "/" + std::to_string(i))) << i;
}

TEST(ParallelJoblog, AppendsWithPlusAndWritesToStdoutWithDash) {
    TempDir dir;
    const std::string log = dir.path("log");
    ringrun({"--joblog", log, "true", ":::", "a"});
    ringrun({"--joblog", "+" + log, "true", ":::", "b"});
    auto rows = joblog_rows(log);
    ASSERT_EQ(rows.size(), 3u);  // one header, two jobs
    EXPECT_EQ(rows[1][8], "true a");
    EXPECT_EQ(rows[2][8], "true b");
    auto to_stdout = ringrun({"--joblog", "-", "true", ":::", "c"});
    auto lines = lines_of(to_stdout.out);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].rfind("Seq\tHost\t", 0), 0u);
    EXPECT_NE(lines[1].find("\ttrue c"), std::string::npos);
}

TEST(ParallelJobs, DelaySpacesJobStarts) {
    TempDir dir;
    const std::string log = dir.path("log");
    auto r = ringrun({"-j3", "--delay", "0.2", "--joblog", log, "true", ":::", "1", "2", "3"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<double> starts;
    auto rows = joblog_rows(log);
    for (size_t i = 1; i < rows.size(); ++i) starts.push_back(std::stod(rows[i][2]));
    ASSERT_EQ(starts.size(), 3u);
    std::sort(starts.begin(), starts.end());
    // Jobs are handed over 0.2 s apart; a worker's wake-up and Starttime's millisecond
    // resolution blur that by a little.
    EXPECT_GE(starts[1] - starts[0], 0.19);
    EXPECT_GE(starts[2] - starts[1], 0.19);
}

TEST(ParallelJobs, MemfreeAndLoadHoldJobsBackUntilThereIsRoom) {
    auto room = ringrun({"--memfree", "1k", "--load", "100000", "echo", ":::", "ran"});
    EXPECT_EQ(room.exit_code, 0) << room.err;
    EXPECT_EQ(room.out, "ran\n");
    // More free memory than any machine has: nothing starts; an interrupt ends the wait.
    testing::ProgramRun run;
    run.argv = {"/bin/sh", "-c",
                std::string(RINGRUN_BINARY) +
                    " --memfree 1000000T echo ran ::: x & pid=$!; "
                    "sleep 0.5; kill -TERM $pid; wait $pid"};
    auto held = testing::run_program(run);
    EXPECT_EQ(held.exit_code, 143) << held.err;
    EXPECT_EQ(held.out, "");
}

TEST(ParallelRetries, TermseqEndsATimedOutCommandWithItsSignals) {
    // The command ignores TERM; the sequence's USR1 kills it.
    auto r = ringrun({"--timeout", "0.1", "--termseq", "TERM,100,USR1,1000",
                      "trap '' TERM; sleep 10 & wait; echo {}", ":::", "x"});
    EXPECT_EQ(r.exit_code, 1);
    TempDir dir;
    const std::string log = dir.path("log");
    ringrun({"--timeout", "0.1", "--termseq", "USR1,1000", "--joblog", log, "sleep", ":::", "10"});
    auto rows = joblog_rows(log);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1][6], "-1");
    EXPECT_EQ(rows[1][7], std::to_string(SIGUSR1));
}

TEST(ParallelRetries, RetryDelayBacksOffAndTheLastAttemptCounts) {
    TempDir dir;
    const std::string count = dir.path("count");
    // Succeeds on the third attempt.
    auto r =
        ringrun({"--retries", "3", "--retry-delay", "0.05",
                 "date +%s.%N >> " + count + "; [ $(wc -l < " + count + ") -ge 3 ] && echo ok {}",
                 ":::", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "ok 1\n");
    auto stamps = lines_of(read_file(count));
    ASSERT_EQ(stamps.size(), 3u);
    // Waits of 50 ms then 100 ms, each within +-25%: the second gap is always longer.
    const double gap1 = std::stod(stamps[1]) - std::stod(stamps[0]);
    const double gap2 = std::stod(stamps[2]) - std::stod(stamps[1]);
    EXPECT_GE(gap1, 0.0375);
    EXPECT_GT(gap2, gap1);
}

TEST(ParallelRetries, TimeoutAsAPercentageOfTheMedianRuntime) {
    // Nine quick jobs set the median; the tenth runs 50x longer and is killed.
    std::vector<std::string> args = {"-j1", "--timeout", "1000%", "sleep", ":::"};
    for (int i = 0; i < 9; ++i) args.push_back("0.02");
    args.push_back("30");
    auto r = ringrun(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
}

TEST(ParallelHalt, SoonAndNowWithGnuParallelsExitCodes) {
    auto soon = ringrun({"-j1", "--halt", "soon,fail=1", "echo {}; exit {}", ":::", "0", "3", "4"});
    EXPECT_EQ(soon.exit_code, 3);
    EXPECT_EQ(soon.out, "0\n3\n");
    EXPECT_NE(soon.err.find("This job failed:\necho 3; exit 3"), std::string::npos) << soon.err;
    auto success = ringrun({"-j1", "--halt", "now,success=1", "exit {}", ":::", "1", "0", "0"});
    EXPECT_EQ(success.exit_code, 0);
    auto now = ringrun({"-j2", "--halt", "now,fail=1", "sleep {}; exit 1", ":::", "0.1", "30"});
    EXPECT_EQ(now.exit_code, 1);  // and it did not wait 30 s: the watchdog would say so
    auto bad = ringrun({"--halt", "sometimes", "true"});
    EXPECT_EQ(bad.exit_code, 255);
}

TEST(ParallelSeeing, DryRunPrintsCommandsAndRunsNothing) {
    auto r = ringrun({"--dry-run", "touch", "{}", ":::", "a b", "c"});
    EXPECT_EQ(r.out, "touch 'a b'\ntouch c\n");
    EXPECT_FALSE(fs::exists("c"));
}

TEST(ParallelSeeing, ProgressOnANonTerminalIsPlainLines) {
    auto r = ringrun({"--bar", "--eta", "-j2", "true", ":::", "1", "2", "3"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.err.find("ringrun: 3/3 jobs (100%), 0 failed"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\r'), std::string::npos);
}

TEST(ParallelSeeing, BarOnATerminalRedrawsOneLineInPlace) {
    // A real terminal: ringrun runs in a detached tmux session; the pane is read back.
    // scripts/install-deps.sh installs tmux: without it the suite's set-up is broken.
    ASSERT_EQ(testing::run_program({"/bin/sh", "-c", "command -v tmux"}).exit_code, 0)
        << "tmux is not installed: run scripts/install-deps.sh";
    const std::string server = "ringrun-test-" + std::to_string(getpid());
    auto tmux = [&](const std::string& args) {
        return testing::run_program({"/bin/sh", "-c", "tmux -L " + server + " " + args});
    };
    struct Cleanup {
        std::function<void()> fn;
        ~Cleanup() { fn(); }
    } cleanup{[&] { tmux("kill-server 2>/dev/null"); }};
    const std::string command = std::string(RINGRUN_BINARY) +
                                " --bar -j2 'sleep 0.15; true' ::: 1 2 3 4 5 6 7 8 9 10 >/dev/null;"
                                " echo finished; sleep 30";
    ASSERT_EQ(tmux("new-session -d -x 150 -y 20 \"" + command + "\"").exit_code, 0);
    auto pane = [&] { return tmux("capture-pane -p").out; };
    std::string during;
    ASSERT_TRUE(testing::poll_until(
        [&] {
            during = pane();
            return during.find("/10 jobs") != std::string::npos &&
                   during.find("ETA") != std::string::npos;
        },
        std::chrono::seconds(20)))
        << during;
    EXPECT_NE(during.find(" ["), std::string::npos) << during;  // the bar itself
    std::string after;
    ASSERT_TRUE(testing::poll_until(
        [&] {
            after = pane();
            return after.find("finished") != std::string::npos;
        },
        std::chrono::seconds(30)))
        << after;
    EXPECT_NE(after.find("ringrun: 10/10 jobs (100%), 0 failed"), std::string::npos) << after;
    EXPECT_NE(after.find("[##############################]"), std::string::npos) << after;
    // Redrawn in place: one progress line on the screen, not one per update.
    size_t progress_lines = 0;
    for (const auto& line : lines_of(after))
        progress_lines += line.find("jobs (") != std::string::npos;
    EXPECT_EQ(progress_lines, 1u) << after;
}

}  // namespace
}  // namespace ringrun
