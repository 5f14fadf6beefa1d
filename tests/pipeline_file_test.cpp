// Job files that are wrong, each with the exact lines `ringrun check` must print
// (FILE:LINE:COL: what is wrong), exit 2, and that `ringrun run` starts no job for any
// of them. Then a good file's plan: instance counts, matching of needs by each values.
#include "runner/pipeline/pipeline_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runner/pipeline/pipeline_plan.hpp"
#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

namespace fs = std::filesystem;

struct BadFile {
    std::string toml;
    std::vector<std::string> errors;  // FILE stands for the file's path
};

const BadFile kBadFiles[] = {
    {"[job.a\ncmd = \"x\"\n",
     {"FILE:1:7: Error while parsing table header: expected ']', saw '\\n'"}},
    {"[job.a]\ncmd = \"x\"\nretry = 3\n", {"FILE:3:1: unknown key 'retry' in [job.a]"}},
    {"[job.a]\ncmd = \"x\"\ntimout = \"1s\"\n",
     {"FILE:3:1: unknown key 'timout' in [job.a]; did you mean 'timeout'?"}},
    {"[runn]\njobs = 2\n",
     {"FILE:1:2: unknown key 'runn' in the file (only [run] and [job.NAME]); did you mean 'run'?"}},
    {"[run]\njob = 2\n", {"FILE:2:1: unknown key 'job' in [run]; did you mean 'jobs'?"}},
    {"[run]\njobs = \"four\"\n", {"FILE:2:8: run.jobs must be an integer, not a string"}},
    {"[run]\njobs = 0\n", {"FILE:2:8: run.jobs must be from 1 to 1000000, not 0"}},
    {"[run]\ntimeout = \"10 minutes\"\n[job.a]\ncmd = \"x\"\n",
     {"FILE:2:11: run.timeout must be a duration above 0 such as \"30s\", \"10m\" or \"1.5h\""}},
    {"[run]\nbackend = \"fibers\"\n",
     {"FILE:2:11: run.backend must be \"processes\" or \"threads\", not \"fibers\""}},
    {"[job.a]\ncmd = 42\n",
     {"FILE:2:7: job.a.cmd must be a command line (a string) or an argv list (strings), not an "
      "integer"}},
    {"[job.a]\ncmd = [\"echo\", 1]\n",
     {"FILE:2:16: each word of job.a.cmd must be a string, not an integer"}},
    {"[job.a]\ncmd = []\n", {"FILE:2:7: job.a.cmd is an empty list"}},
    {"[job.a]\ncmd = \"   \"\n", {"FILE:2:7: job.a.cmd is empty"}},
    {"[job.a]\nretries = 2\n", {"FILE:1:6: job.a has neither cmd nor task"}},
    {"[job.a]\ncmd = \"x\"\ntask = \"noop\"\n",
     {"FILE:1:6: job.a has both cmd and task; give one"}},
    {"[job.a]\ncmd = \"x\"\nneeds = [\"b\"]\n", {"FILE:3:10: job.a needs 'b', which is not a job"}},
    {"[job.fetch]\ncmd = \"x\"\n[job.clean]\ncmd = \"y\"\nneeds = [\"fecth\"]\n",
     {"FILE:5:10: job.clean needs 'fecth', which is not a job; did you mean 'fetch'?"}},
    {"[job.a]\ncmd = \"x\"\nneeds = [\"b\"]\n[job.b]\ncmd = \"y\"\nneeds = [\"a\"]\n",
     {"FILE:1:6: dependency cycle: a -> b -> a"}},
    {"[job.a]\ncmd = \"x\"\nneeds = [\"a\"]\n", {"FILE:1:6: dependency cycle: a -> a"}},
    {"[job.a]\ncmd = \"echo {year}\"\n", {"FILE:2:7: job.a: placeholder {year} has no each key"}},
    {"[job.a]\ncmd = \"echo {yaer}\"\neach = { year = [1, 2] }\n",
     {"FILE:2:7: job.a: placeholder {yaer} has no each key; did you mean {year}?"}},
    {"[job.a]\ncmd = \"echo {}\"\neach = { x = [1], y = [2] }\n",
     {"FILE:2:7: job.a: {} needs exactly one each key, and it has 2"}},
    {"[run]\nresources = { net = 2 }\n[job.a]\ncmd = \"x\"\nresources = { net = 3 }\n",
     {"FILE:5:21: job.a claims 3 of resource 'net', whose pool holds 2"}},
    {"[job.a]\ncmd = \"x\"\nresources = { gpu = 1 }\n",
     {"FILE:3:21: job.a claims resource 'gpu', which [run] resources does not define"}},
    {"[job.a]\ncmd = \"x\"\neach = { year = [] }\n", {"FILE:3:17: job.a.each.year has no values"}},
    {"[job.a]\ncmd = \"x\"\neach = { f = { lines = \"/nonexistent/file\" } }\n",
     {"FILE:3:24: job.a.each.f.lines: cannot read '/nonexistent/file'"}},
    {"[job.a]\ncmd = \"x\"\neach = { n = { range = [5, 1] } }\n",
     {"FILE:3:24: job.a.each.n.range [5, 1] must have first <= last (and under 10 million "
      "values)"}},
    {"[job.a]\ncmd = \"x\"\neach = { n = { rang = [1, 5] } }\n",
     {"FILE:3:16: unknown key 'rang' in job.a.each.n; did you mean 'range'?"}},
    {"[job.a]\ncmd = \"x\"\neach = [1, 2]\n",
     {"FILE:3:8: job.a.each must be a table such as { year = [2024, 2025] }, not a list"}},
    {"[job.a]\ncmd = \"x\"\nenv = { LANG = true }\n",
     {"FILE:3:16: job.a.env.LANG must be a string, not a boolean"}},
    {"[job.a]\ncmd = \"x\"\nlimit = 0\n",
     {"FILE:3:9: job.a.limit must be from 1 to 1000000, not 0"}},
    {"[job.a]\ncmd = \"x\"\ncwd = 5\n", {"FILE:3:7: job.a.cwd must be a string, not an integer"}},
    {"job = 3\n", {"FILE:1:7: job must be tables ([job.NAME]), not an integer"}},
    {"[job.a]\ncmd = \"x\"\ntimeout = -1\n",
     {"FILE:3:11: job.a.timeout must be a duration above 0 such as \"30s\", \"10m\" or \"1.5h\""}},
    {"[job.a]\ncmd = \"x\"\nbackend = \"fibers\"\n",
     {"FILE:3:11: job.a.backend must be \"processes\" or \"threads\", not \"fibers\""}},
    {"[job.a]\ncmd = \"x\"\neach = { n = [1.5] }\n",
     {"FILE:3:15: a value of job.a.each.n must be a string or an integer, not a number"}},
    {"[run]\nresources = { net = 0 }\n",
     {"FILE:2:21: run.resources.net must be from 1 to 1000000, not 0"}},
    {"[job.a]\ncmd = \"x\"\nneeds = [3]\n",
     {"FILE:3:10: each name in job.a.needs must be a string, not an integer"}},
    {"[job.a]\ncmd = \"x\"\neach = { n = { range = [1] } }\n",
     {"FILE:3:24: job.a.each.n.range must be [first, last], two integers"}},
    {"[job.a]\ncmd = \"x\"\nretries = 1\nretries = 2\n",
     {"FILE:4:11: Error while parsing key-value pair: cannot redefine existing integer 'retries'"}},
    {"[job.a]\ncmd = \"echo {n}\"\nneeds = [\"c\"]\n[job.b]\ncmd = \"y\"\nlimt = 1\n",
     {"FILE:2:7: job.a: placeholder {n} has no each key",
      "FILE:3:10: job.a needs 'c', which is not a job",
      "FILE:6:1: unknown key 'limt' in [job.b]; did you mean 'limit'?"}},
};

// The files of this test binary, removed when it exits.
std::string write_temp(const std::string& name, const std::string& content) {
    static const testing::ScratchDir dir;
    return dir.write(name, content);
}

class BadJobFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadJobFile, CheckPrintsEveryErrorWithItsPositionAndExits2) {
    const BadFile& bad = GetParam();
    const std::string path = write_temp("bad.toml", bad.toml);
    auto r = testing::run_program({RINGRUN_BINARY, "check", path});
    EXPECT_EQ(r.exit_code, 2) << bad.toml;
    std::vector<std::string> expected;
    for (std::string line : bad.errors) expected.push_back(path + line.substr(4));
    EXPECT_EQ(testing::lines_of(r.err), expected) << bad.toml;
    EXPECT_EQ(r.out, "");
}

TEST_P(BadJobFile, RunStartsNoJob) {
    // A good job that would leave a mark, in a file that is wrong elsewhere.
    const std::string marker = write_temp("marker", "") + ".ran";
    fs::remove(marker);
    const std::string toml =
        GetParam().toml + "\n[job.zz_marker]\ncmd = \"touch " + marker + "\"\n";
    const std::string path = write_temp("bad-run.toml", toml);
    auto r = testing::run_program({RINGRUN_BINARY, "run", path});
    EXPECT_EQ(r.exit_code, 2) << toml << r.err;
    EXPECT_FALSE(fs::exists(marker)) << toml;
}

INSTANTIATE_TEST_SUITE_P(Table, BadJobFile, ::testing::ValuesIn(kBadFiles));

TEST(PipelinePlan, FansOutAndMatchesNeedsByEachValues) {
    const std::string path = write_temp("good.toml", R"(
[job.fetch]
cmd = "fetch {year} {kind}"
each = { year = [2024, 2025], kind = ["a", "b"] }

[job.clean]
cmd = ["clean", "{year}"]
each = { year = [2024, 2025] }
needs = ["fetch"]

[job.report]
cmd = "report"
needs = ["clean"]
)");
    PipelineErrors errors(path);
    PipelineFile file = read_pipeline_file(path, errors);
    PipelinePlan plan = plan_pipeline(file, {}, errors);
    ASSERT_TRUE(errors.empty()) << errors.lines()[0];
    ASSERT_EQ(plan.instances.size(), 4u + 2u + 1u);
    // fetch fans out over `kind` too, which clean does not have: no fetch instance is
    // clean[year=2024]'s own, so it waits for every fetch.
    const PipelineInstance& clean2024 = plan.instances[4];
    EXPECT_EQ(clean2024.id, "clean[year=2024]");
    EXPECT_EQ(clean2024.spec.argv, (std::vector<std::string>{"clean", "2024"}));
    EXPECT_EQ(clean2024.needs.size(), 4u);
    const PipelineInstance& report = plan.instances[6];
    EXPECT_EQ(report.needs, (std::vector<size_t>{4, 5}));
}

TEST(PipelinePlan, PerItemChainsWaitOnlyForTheirOwnItem) {
    const std::string path = write_temp("chain.toml", R"(
[job.a]
cmd = "a {x}"
each = { x = { range = [1, 3] } }
[job.b]
cmd = "b {x}"
each = { x = { range = [1, 3] } }
needs = ["a"]
)");
    PipelineErrors errors(path);
    PipelineFile file = read_pipeline_file(path, errors);
    PipelinePlan plan = plan_pipeline(file, {}, errors);
    ASSERT_TRUE(errors.empty());
    ASSERT_EQ(plan.instances.size(), 6u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(plan.instances[3 + i].needs, (std::vector<size_t>{i}));
        EXPECT_EQ(plan.instances[3 + i].spec.shell_line, "b " + std::to_string(i + 1));
    }
    PipelinePlan only_a = plan_pipeline(file, {"a"}, errors);
    EXPECT_EQ(only_a.instances.size(), 3u);
}

TEST(PipelinePlan, PlaceholdersAreShellQuotedInCommandLinesOnly) {
    const std::string path = write_temp("quote.toml", R"(
[job.a]
cmd = "echo {v} ${HOME}"
each = { v = ["a b; rm -rf x"] }
[job.b]
cmd = ["echo", "{v}"]
each = { v = ["a b; rm -rf x"] }
)");
    PipelineErrors errors(path);
    PipelineFile file = read_pipeline_file(path, errors);
    PipelinePlan plan = plan_pipeline(file, {}, errors);
    ASSERT_TRUE(errors.empty());
    EXPECT_EQ(plan.instances[0].spec.shell_line, "echo 'a b; rm -rf x' ${HOME}");
    EXPECT_EQ(plan.instances[1].spec.argv[1], "a b; rm -rf x");
}

}  // namespace
}  // namespace ringrun
