// Pipelines run for real: the examples/ job files with their results checked; no
// instance starts before what it needs has succeeded (from recorded start and end
// times); a failure skips what needs it and nothing else; `limit` and resource pools
// are never exceeded (from recorded intervals); --resume after a SIGKILLed run finishes
// the rest, none twice, and after an edit reruns only what changed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

namespace fs = std::filesystem;

// A scratch directory that runs ringrun in itself.
class PipelineDir : public testing::ScratchDir {
  public:
    std::string operator/(const std::string& name) const { return path(name); }
    testing::ProgramResult ringrun(const std::string& args) const {
        return testing::run_program(
            {"/bin/sh", "-c", "cd '" + path("") + "' && " + RINGRUN_BINARY + " " + args});
    }
};

using testing::read_file;

struct Recorded {
    std::string status;
    int64_t start = 0, end = 0;
};
// The state file: id -> its last record.
std::map<std::string, Recorded> state_of(const std::string& job_file) {
    std::map<std::string, Recorded> out;
    for (const auto& line : testing::lines_of(read_file(job_file + ".state"))) {
        std::vector<std::string> f;
        std::stringstream s(line);
        for (std::string x; std::getline(s, x, '\t');) f.push_back(x);
        if (f.size() != 7) continue;
        out[f[0]] = {f[1], std::stoll(f[4]), std::stoll(f[5])};
    }
    return out;
}

// The most intervals of kind open at once, from "kind NANOS start|end" lines.
int max_concurrent(const std::string& log, const std::string& kind) {
    std::vector<std::pair<int64_t, int>> events;
    for (const auto& line : testing::lines_of(read_file(log))) {
        std::stringstream s(line);
        std::string k, what;
        int64_t at = 0;
        s >> k >> at >> what;
        if (k == kind) events.emplace_back(at, what == "start" ? 1 : -1);
    }
    std::sort(events.begin(), events.end());  // an end before a start at the same instant
    int open = 0, most = 0;
    for (const auto& e : events) most = std::max(most, open += e.second);
    return most;
}

TEST(PipelineExamples, MatrixCompressesEverySampleAtEveryLevel) {
    PipelineDir dir;
    // A copy: its state file is written beside it, never into the source tree.
    dir.write("matrix.toml", read_file(std::string(RINGRUN_SOURCE_DIR) + "/examples/matrix.toml"));
    auto r = dir.ringrun("run matrix.toml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(testing::lines_of(read_file(dir / "sizes.txt")).size(), 6u);
    for (const char* file : {"numbers", "words"})
        for (const char* level : {"1", "6", "9"}) {
            auto same = testing::run_program({"/bin/sh", "-c",
                                              "zcat " + dir / "out/" + file + "." + level +
                                                  ".gz | cmp - " + dir / "data/" + file + ".txt"});
            EXPECT_EQ(same.exit_code, 0) << file << " at level " << level;
        }
    // Its joblog is GNU parallel's format, one line per instance.
    EXPECT_EQ(testing::lines_of(read_file(dir / "matrix.joblog")).size(), 1u + 2 + 6 + 1);
}

TEST(PipelineExamples, ChainsRunEachItemInOrderOnItsOwn) {
    PipelineDir dir;
    const std::string file = std::string(RINGRUN_SOURCE_DIR) + "/examples/chains.toml";
    const std::string copy = dir.write("chains.toml", read_file(file));
    auto r = dir.ringrun("run chains.toml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(dir / "summary.txt"), "8\n");
    auto state = state_of(copy);
    ASSERT_EQ(state.size(), 8u * 3 + 1);
    for (int item = 1; item <= 8; ++item) {
        const std::string n = "[item=" + std::to_string(item) + "]";
        EXPECT_LE(state["generate" + n].end, state["sort" + n].start) << item;
        EXPECT_LE(state["sort" + n].end, state["checksum" + n].start) << item;
        EXPECT_LE(state["checksum" + n].end, state["summary"].start) << item;
    }
}

TEST(PipelineExamples, ResourcesAndLimitsAreNeverExceeded) {
    PipelineDir dir;
    // A copy: its state file is written beside it, never into the source tree.
    dir.write("resources.toml",
              read_file(std::string(RINGRUN_SOURCE_DIR) + "/examples/resources.toml"));
    auto r = dir.ringrun("run resources.toml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(max_concurrent(dir / "intervals.log", "net"), 2);  // -j6, a pool of 2
    EXPECT_EQ(max_concurrent(dir / "intervals.log", "index"), 1);
    EXPECT_EQ(read_file(dir / "index-a.txt"), "1\n2\n3\n4\n5\n6\n");
}

TEST(PipelineRun, AFailureSkipsWhatNeedsItAndNothingElse) {
    PipelineDir dir;
    const std::string file = dir.write("p.toml", R"(
[job.a]
cmd = "test {x} != 2 && touch a{x}"
each = { x = [1, 2, 3] }
[job.b]
cmd = "touch b{x}"
each = { x = [1, 2, 3] }
needs = ["a"]
[job.c]
cmd = "touch c"
needs = ["b"]
[job.independent]
cmd = "touch independent"
)");
    auto r = dir.ringrun("run p.toml");
    EXPECT_EQ(r.exit_code, 3) << r.err;  // a[x=2] failed; b[x=2] and c skipped
    EXPECT_NE(r.err.find("skipped b[x=2]: it needs a[x=2], which failed"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("skipped c: it needs a[x=2], which failed"), std::string::npos);
    for (const char* made : {"a1", "a3", "b1", "b3", "independent"})
        EXPECT_TRUE(fs::exists(dir / made)) << made;
    for (const char* not_made : {"a2", "b2", "c"}) EXPECT_FALSE(fs::exists(dir / not_made));
    auto state = state_of(file);
    EXPECT_EQ(state["a[x=2]"].status, "failed");
    EXPECT_EQ(state["b[x=2]"].status, "skipped");
    EXPECT_EQ(state["c"].status, "skipped");
}

TEST(PipelineRun, HaltStopsThePipelineWithGnuParallelsStatus) {
    PipelineDir dir;
    dir.write("p.toml", R"TOML(
[job.a]
cmd = "echo a{n}; exit $(( {n} == 2 ? 5 : 0 ))"
each = { n = [1, 2, 3] }
[job.b]
cmd = "echo b{n}"
each = { n = [1, 2, 3] }
needs = ["a"]
)TOML");
    auto r = dir.ringrun("run p.toml -j1 --halt soon,fail=1");
    EXPECT_EQ(r.exit_code, 5) << r.err;                       // the failing instance's own status
    EXPECT_EQ(r.out.find("a3"), std::string::npos) << r.out;  // nothing new after it
    EXPECT_NE(r.err.find("This job failed:"), std::string::npos) << r.err;
}

TEST(PipelineRun, JobsMayAskForTheOtherBackend) {
    // Commands started by a worker process have that worker as parent; commands started
    // by a worker thread have ringrun itself.
    PipelineDir dir;
    dir.write("p.toml", R"(
[run]
jobs = 2
[job.proc]
cmd = "echo proc $PPID"
each = { n = [1, 2] }
[job.thr]
cmd = "echo thr $PPID"
each = { n = [1, 2] }
backend = "threads"
needs = ["proc"]
)");
    auto r = dir.ringrun("run p.toml & echo ringrun $!; wait $!");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string ringrun_pid;
    std::vector<std::string> proc_parents, thread_parents;
    for (const auto& line : testing::lines_of(r.out)) {
        std::stringstream s(line);
        std::string what, pid;
        s >> what >> pid;
        if (what == "ringrun") ringrun_pid = pid;
        if (what == "proc") proc_parents.push_back(pid);
        if (what == "thr") thread_parents.push_back(pid);
    }
    ASSERT_FALSE(ringrun_pid.empty()) << r.out;
    ASSERT_EQ(proc_parents.size(), 2u) << r.out;
    for (const auto& parent : proc_parents) EXPECT_NE(parent, ringrun_pid) << r.out;
    EXPECT_EQ(thread_parents, (std::vector<std::string>{ringrun_pid, ringrun_pid})) << r.out;
}

TEST(PipelineRun, ResumeAfterAKillFinishesTheRestAndAfterAnEditRerunsOnlyWhatChanged) {
    PipelineDir dir;
    const std::string body = R"(
[run]
jobs = 3
[job.step]
cmd = "echo {n} >> ran.txt; [ {n} -lt 12 ] || [ -e fast ] || sleep 30"
each = { n = { range = [1, 20] } }
[job.total]
cmd = "sort -n ran.txt | uniq | wc -l > total.txt"
needs = ["step"]
)";
    const std::string file = dir.write("p.toml", body);
    testing::ChildGuard supervisor([&] {
        if (chdir((dir / "").c_str()) != 0) return 127;
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        execl(RINGRUN_BINARY, RINGRUN_BINARY, "run", "p.toml", static_cast<char*>(nullptr));
        return 127;
    });
    ASSERT_TRUE(
        testing::poll_until([&] { return state_of(file).size() >= 11; }, std::chrono::seconds(30)));
    kill(supervisor.pid(), SIGKILL);
    supervisor.wait_exit(std::chrono::seconds(5));
    const size_t done_before = state_of(file).size();
    EXPECT_GE(done_before, 11u);
    EXPECT_LT(done_before, 21u);

    // The slow steps are quick now (the file is unchanged, so are the commands).
    dir.write("fast", "");
    auto resumed = dir.ringrun("run p.toml --resume");
    EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(read_file(dir / "total.txt"), "20\n");
    auto state = state_of(file);
    EXPECT_EQ(state.size(), 21u);
    for (const auto& [id, rec] : state) EXPECT_EQ(rec.status, "ok") << id;
    // Each of the first eleven ran once: they succeeded before the kill.
    std::map<std::string, int> times;
    for (const auto& n : testing::lines_of(read_file(dir / "ran.txt"))) ++times[n];
    for (int n = 1; n <= 11; ++n) EXPECT_EQ(times[std::to_string(n)], 1) << n;

    // An edit to `total` alone: --resume reruns total and nothing else.
    std::string edited = body;
    edited.replace(edited.find("wc -l"), 5, "wc -l ");
    dir.write("p.toml", edited);
    fs::remove(dir / "ran.txt");
    auto again = dir.ringrun("run p.toml --resume");
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_FALSE(fs::exists(dir / "ran.txt"));       // no step ran
    EXPECT_EQ(read_file(dir / "total.txt"), "0\n");  // total ran (over the now-missing file)
}

TEST(PipelineRun, TenThousandInstancesPlanAndRun) {
    PipelineDir dir;
    dir.write("big.toml", R"(
[job.work]
task = "noop"
payload = "{n}"
each = { n = { range = [1, 5000] } }
[job.after]
task = "echo"
payload = "{n}"
each = { n = { range = [1, 5000] } }
needs = ["work"]
)");
    auto check = dir.ringrun("check big.toml");
    EXPECT_EQ(check.out, "big.toml: ok: 2 jobs, 10000 instances, 5000 dependencies\n");
    auto r = dir.ringrun("run big.toml -j2");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(testing::lines_of(r.out).size(), 5000u);
}

TEST(JsonLines, EachLineIsAJobAndABadLineFailsAloneWithItsNumber) {
    PipelineDir dir;
    const std::string input =
        "{\"cmd\": \"echo hello $NAME\", \"id\": \"a\", \"env\": {\"NAME\": \"world\"}}\n"
        "{\"cmd\": [\"printf\", \"<%s>\\n\", \"x y; rm -rf z\"], \"id\": \"b\"}\n"
        "\n"
        "{\"cmd\": 42}\n"
        "not json\n"
        "{\"cmd\": \"pwd\", \"cwd\": \"/\", \"bogus\": 1}\n"
        "{\"cmd\": \"pwd\", \"cwd\": \"/\"}\n"
        "{\"task\": \"echo\", \"payload\": \"from a task\"}\n"
        "{\"cmd\": \"sleep 30\", \"timeout\": 0.2}\n";
    testing::ProgramRun run;
    run.argv = {RINGRUN_BINARY, "--jsonl", "-k", "-j2", "--joblog", dir / "log"};
    run.input = input;
    auto r = testing::run_program(run);
    EXPECT_EQ(r.exit_code, 4) << r.err;  // three bad lines and one timeout
    EXPECT_EQ(r.out, "hello world\n<x y; rm -rf z>\n/\nfrom a task");
    EXPECT_NE(r.err.find("(stdin:4): \"cmd\" must be a string or a list of strings"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("(stdin:5): "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(stdin:6): unknown field \"bogus\""), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("timed out after 200 ms"), std::string::npos) << r.err;
    // Every line that holds a job is in the joblog, once.
    EXPECT_EQ(testing::lines_of(read_file(dir / "log")).size(), 1u + 8);
}

TEST(JsonLines, RetriesPerLineAndTheIdAsTag) {
    PipelineDir dir;
    const std::string count = dir / "count";
    testing::ProgramRun run;
    run.argv = {RINGRUN_BINARY, "--jsonl", "--tag"};
    run.input = "{\"id\": \"flaky\", \"retries\": 3, \"cmd\": \"echo x >> " + count +
                "; [ $(wc -l < " + count + ") -ge 3 ] && echo done\"}\n";
    auto r = testing::run_program(run);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "flaky\tdone\n");
    EXPECT_EQ(testing::lines_of(read_file(count)).size(), 3u);
}

}  // namespace
}  // namespace ringrun
