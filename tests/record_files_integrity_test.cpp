// Record files against planted symlinks, hard links and other users' directories, and
// torn rows, through the binary: --results DIR and FILE.jsonl, --joblog, a job file's
// state. Another user's entries are made by chown to nobody, so these run as root only.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

using testing::lines_of;
using testing::read_file;
using testing::run_program;
using testing::ScratchDir;

constexpr uid_t kNobody = 65534;
namespace fs = std::filesystem;

#define REQUIRE_ROOT() \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to plant another user's files"

// A mode-600 file whose content must survive the run.
std::string victim(const ScratchDir& dir) {
    const std::string path = dir.write("victim", "precious\n");
    ::chmod(path.c_str(), 0600);
    return path;
}

void plant_link(const std::string& target, const std::string& link, uid_t owner = kNobody) {
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0) << link;
    ASSERT_EQ(::lchown(link.c_str(), owner, owner), 0) << link;
}

TEST(ResultsTree, APlantedSymlinkInOurDirectoryIsReplacedNotWrittenThrough) {
    ScratchDir dir;
    const std::string precious = victim(dir);
    fs::create_directories(dir.path("out/1/a"));
    plant_link(precious, dir.path("out/1/a/stdout"), ::geteuid());
    auto r = run_program({RINGRUN_BINARY, "--results", dir.path("out"), "echo", "x", ":::", "a"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(precious), "precious\n");
    EXPECT_FALSE(fs::is_symlink(dir.path("out/1/a/stdout")));
    EXPECT_EQ(read_file(dir.path("out/1/a/stdout")), "x a\n");
}

TEST(ResultsTree, AnotherUsersDirectoryOrASymlinkedOneIsRefused) {
    REQUIRE_ROOT();
    ScratchDir dir;
    const std::string precious = victim(dir);
    fs::create_directories(dir.path("out/1/a"));
    ASSERT_EQ(::chown(dir.path("out/1").c_str(), kNobody, kNobody), 0);
    auto r = run_program({RINGRUN_BINARY, "--results", dir.path("out"), "echo", "x", ":::", "a"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("owned by another user"), std::string::npos) << r.err;

    fs::create_directories(dir.path("elsewhere"));
    fs::create_directories(dir.path("out2"));
    plant_link(dir.path("elsewhere"), dir.path("out2/1"));
    auto linked =
        run_program({RINGRUN_BINARY, "--results", dir.path("out2"), "echo", "x", ":::", "a"});
    EXPECT_NE(linked.exit_code, 0);
    EXPECT_NE(linked.err.find("refusing to follow it"), std::string::npos) << linked.err;
    EXPECT_TRUE(fs::is_empty(dir.path("elsewhere")));
    EXPECT_EQ(read_file(precious), "precious\n");
}

TEST(ResultsTree, AReplacementPatternCannotClimbOutWithDotDot) {
    ScratchDir dir;
    auto r = run_program({RINGRUN_BINARY, "--results", dir.path("out") + "/{}", "echo", "x",
                          ":::", "../../escaped"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("climbs out"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir.path("escaped")));
}

TEST(RecordFiles, APlantedSymlinkAtTheJoblogResultsOrStateIsNotFollowed) {
    REQUIRE_ROOT();
    ScratchDir dir;
    const std::string precious = victim(dir);
    plant_link(precious, dir.path("j.log"));
    auto joblog = run_program({RINGRUN_BINARY, "--joblog", dir.path("j.log"), "echo", ":::", "a"});
    EXPECT_NE(joblog.exit_code, 0);
    EXPECT_NE(joblog.err.find("symlink owned by another user"), std::string::npos) << joblog.err;

    plant_link(precious, dir.path("r.jsonl"));
    auto results =
        run_program({RINGRUN_BINARY, "--results", dir.path("r.jsonl"), "echo", ":::", "a"});
    EXPECT_NE(results.exit_code, 0);

    const std::string file = dir.write("p.toml", "[job.a]\ncmd = \"echo hi\"\n");
    plant_link(precious, file + ".state");
    auto state = run_program({RINGRUN_BINARY, "run", file});
    EXPECT_NE(state.exit_code, 0);
    EXPECT_NE(state.err.find("the state file"), std::string::npos) << state.err;
    EXPECT_EQ(read_file(precious), "precious\n");
}

TEST(RecordFiles, AHardLinkOrAnotherUsersFileIsNotWrittenInto) {
    REQUIRE_ROOT();
    ScratchDir dir;
    const std::string precious = victim(dir);
    ASSERT_EQ(::link(precious.c_str(), dir.path("j.log").c_str()), 0);
    auto linked = run_program({RINGRUN_BINARY, "--joblog", dir.path("j.log"), "true", ":::", "a"});
    EXPECT_NE(linked.exit_code, 0);
    EXPECT_NE(linked.err.find("hard links"), std::string::npos) << linked.err;
    const std::string theirs = dir.write("theirs.log", "theirs\n");
    ASSERT_EQ(::chown(theirs.c_str(), kNobody, kNobody), 0);
    auto other = run_program({RINGRUN_BINARY, "--joblog", theirs, "true", ":::", "a"});
    EXPECT_NE(other.exit_code, 0);
    EXPECT_EQ(read_file(precious), "precious\n");
    EXPECT_EQ(read_file(theirs), "theirs\n");
}

TEST(RecordFiles, OurOwnSymlinkedJoblogIsWrittenThroughAsTheUserMeantIt) {
    ScratchDir dir;
    plant_link(dir.path("real.log"), dir.path("j.log"), ::geteuid());
    auto r = run_program({RINGRUN_BINARY, "--joblog", dir.path("j.log"), "true", ":::", "a"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines_of(read_file(dir.path("real.log"))).size(), 2u);
}

TEST(RecordFiles, ResumeCutsATornLastRowBeforeAppending) {
    ScratchDir dir;
    const std::string log = dir.path("j.log");
    auto first = run_program({RINGRUN_BINARY, "--joblog", log, "echo", ":::", "a", "b"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    std::string text = read_file(log);
    const size_t last_row = text.rfind('\n', text.size() - 2) + 1;
    dir.write("j.log", text.substr(0, last_row + 7));  // the last row, torn
    auto resumed =
        run_program({RINGRUN_BINARY, "--joblog", log, "--resume", "echo", ":::", "a", "b"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    const auto rows = lines_of(read_file(log));
    ASSERT_EQ(rows.size(), 3u) << read_file(log);
    for (const auto& row : rows) {
        size_t tabs = 0;
        for (char c : row) tabs += c == '\t';
        EXPECT_EQ(tabs, 8u) << row;
    }
}

}  // namespace
}  // namespace ringrun
