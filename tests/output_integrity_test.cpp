// Output that must come out whole, through the binary: --line-buffer lines far longer
// than the memory limit are never interleaved with another job's (nor tagged inside),
// and on a full disk the joblog ends on a whole row, the run stops with exit 103 and
// --resume finishes it once there is room.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

using testing::lines_of;
using testing::run_program;
using testing::ScratchDir;

TEST(LineBuffer, LinesLongerThanTheMemoryLimitComeOutWholeWithOneTag) {
    // Four jobs at once, each printing a 3 MB line of its own letter, then a short one.
    auto r = run_program({RINGRUN_BINARY, "-j4", "--line-buffer", "--tag",
                          "perl -e '$| = 1; for (1 .. 30) { print \"{}\" x 100000 } "
                          "print \"\\n\", \"{}\" x 10, \"\\n\"'",
                          ":::", "a", "b", "c", "d"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 8u);
    std::map<std::string, int> long_lines;
    for (const auto& line : lines) {
        const size_t tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos);
        const std::string tag = line.substr(0, tab);
        const std::string text = line.substr(tab + 1);
        ASSERT_EQ(text.find_first_not_of(tag), std::string::npos)
            << "a line of job " << tag << " holds other bytes";
        if (text.size() == 3'000'000)
            ++long_lines[tag];
        else
            EXPECT_EQ(text.size(), 10u);
    }
    EXPECT_EQ(long_lines.size(), 4u);
}

TEST(FullDisk, TheJoblogEndsOnAWholeRowAndResumeFinishesTheRun) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for a small private file system";
    auto probe = run_program({"unshare", "-m", "true"});
    if (probe.exit_code != 0) GTEST_SKIP() << "no mount namespaces here: " << probe.err;
    ScratchDir dir;
    const std::string mount = dir.path("small");
    const std::string ringrun = RINGRUN_BINARY;
    // The first run fills 8 KiB; the second, with the same joblog moved to room, resumes.
    const std::string script = "mkdir -p " + mount + " && mount -t tmpfs -o size=8k tmpfs " +
                               mount + " && " + ringrun + " --joblog " + mount +
                               "/j.log echo ::: $(seq 500) > /dev/null; echo $? > " +
                               dir.path("first") + "; cp " + mount + "/j.log " + dir.path("j.log");
    auto r = run_program({"unshare", "-m", "sh", "-c", script});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(testing::read_file(dir.path("first")), "103\n");
    const std::string log = testing::read_file(dir.path("j.log"));
    ASSERT_FALSE(log.empty());
    EXPECT_EQ(log.back(), '\n') << "a torn last row";
    const size_t recorded = lines_of(log).size() - 1;
    EXPECT_GT(recorded, 0u);
    EXPECT_LT(recorded, 500u);

    std::vector<std::string> argv = {RINGRUN_BINARY, "--joblog", dir.path("j.log"),
                                     "--resume",     "echo",     ":::"};
    for (int i = 1; i <= 500; ++i) argv.push_back(std::to_string(i));
    auto resumed = run_program(argv);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(lines_of(resumed.out).size(), 500 - recorded);
    const auto rows = lines_of(testing::read_file(dir.path("j.log")));
    EXPECT_EQ(rows.size(), 501u);
    for (const auto& row : rows) {
        size_t tabs = 0;
        for (char c : row) tabs += c == '\t';
        EXPECT_EQ(tabs, 8u) << row;
    }
}

}  // namespace
}  // namespace ringrun
