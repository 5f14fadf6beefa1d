// Hostile inputs in every quoting context of a shell template, through the binary and
// through job files: each value arrives as exactly itself and no input ever runs as
// shell code (a marker file would appear). Also the quoting scanner on its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "runner/templates/shell_context.hpp"
#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

using testing::run_program;
using testing::ScratchDir;

// Values that run `touch MARKER` if quoted for the wrong place, and awkward bytes.
std::vector<std::string> hostile_corpus(const std::string& marker) {
    const std::string touch = "touch " + marker;
    return {"$(" + touch + ")",
            "`" + touch + "`",
            "\"; " + touch + "; \"",
            "'; " + touch + "; '",
            "'\"$(" + touch + ")\"'",
            "\\$(" + touch + ")",
            "${x:-$(" + touch + ")}",
            "\"`" + touch + "`\"",
            "\\`" + touch + "\\`",
            "&& " + touch,
            "| " + touch,
            "$HOME",
            "\\",
            "\\\"",
            "'",
            "\"",
            "a b  c",
            "*",
            "~",
            "!x",
            "tab\there",
            "line\nbreak",
            ""};
}

struct Context {
    const char* name;
    std::string line;    // the template
    std::string before;  // what each value is printed between
    std::string after;
};

std::vector<Context> contexts() {
    return {
        {"bare", "printf '%s\\n' {}", "", ""},
        {"single quotes", "printf '%s\\n' '{}'", "", ""},
        {"double quotes", "printf '%s\\n' \"{}\"", "", ""},
        {"inside a double-quoted word", "printf '%s\\n' \"x{}y\"", "x", "y"},
        {"single then double", "printf '%s\\n' 'a'{}\"b\"", "a", "b"},
        {"quoted substitution", "printf '%s\\n' \"$(printf '%s' {})\"", "", ""},
        {"double quotes in a substitution", "printf '%s\\n' \"$(printf '%s' \"{}\")\"", "", ""},
        {"quoted backquotes", "printf '%s\\n' \"`printf '%s' {}`\"", "", ""},
        {"single quotes in backquotes", "printf '%s\\n' \"`printf '%s' '{}'`\"", "", ""},
    };
}

TEST(ShellQuoting, HostileInputsArriveWholeInEveryContextAndNeverRun) {
    ScratchDir dir;
    const std::string marker = dir.path("PWNED");
    const auto corpus = hostile_corpus(marker);
    for (const auto& context : contexts()) {
        std::vector<std::string> argv = {RINGRUN_BINARY, "-k", "-j2", context.line, ":::"};
        std::string expected;
        for (const auto& value : corpus) {
            // A substitution drops trailing newlines; none of the values ends in one.
            argv.push_back(value);
            expected += context.before + value + context.after + "\n";
        }
        auto r = run_program(argv);
        EXPECT_EQ(r.exit_code, 0) << context.name << "\n" << r.err;
        EXPECT_EQ(r.out, expected) << context.name;
        EXPECT_FALSE(std::filesystem::exists(marker)) << context.name << " ran an input";
        std::filesystem::remove(marker);
    }
}

TEST(ShellQuoting, UnquotedSubstitutionsNeverRunAnInput) {
    ScratchDir dir;
    const std::string marker = dir.path("PWNED");
    for (const char* line : {"echo $(echo {})", "echo `echo {}`", "echo $((1)) {}"}) {
        std::vector<std::string> argv = {RINGRUN_BINARY, line, ":::"};
        for (const auto& value : hostile_corpus(marker)) argv.push_back(value);
        run_program(argv);
        EXPECT_FALSE(std::filesystem::exists(marker)) << line << " ran an input";
    }
}

TEST(ShellQuoting, AJobFilesPlaceholdersAreQuotedForWhereTheyStand) {
    ScratchDir dir;
    const std::string marker = dir.path("PWNED");
    std::string values;
    size_t count = 0;
    for (const auto& value : hostile_corpus(marker)) {
        if (value.find('\n') != std::string::npos || value.empty()) continue;  // one per line
        values += value + "\n";
        ++count;
    }
    const std::string list = dir.write("values", values);
    const std::string file = dir.write(
        "p.toml",
        "[job.bare]\ncmd = \"printf '%s\\\\n' {f}\"\neach.f = { lines = \"" + list +
            "\" }\n"
            "[job.single]\ncmd = \"printf '%s\\\\n' '{f}'\"\neach.f = { lines = \"" +
            list +
            "\" }\n"
            "[job.double]\ncmd = \"printf '%s\\\\n' \\\"{f}\\\"\"\neach.f = { lines = \"" +
            list + "\" }\n");
    auto r = run_program({RINGRUN_BINARY, "run", file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(testing::lines_of(r.out, true).size(), 3 * count) << r.out;
    for (const auto& value : testing::lines_of(values))
        EXPECT_NE(r.out.find(value + "\n"), std::string::npos) << value;
    EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(ShellQuoting, AReplacementStringAfterABackslashIsRefused) {
    auto r = run_program({RINGRUN_BINARY, "echo \\{}", ":::", "a"});
    EXPECT_EQ(r.exit_code, 255);
    EXPECT_NE(r.err.find("right after a backslash"), std::string::npos) << r.err;
    ScratchDir dir;
    const std::string file =
        dir.write("p.toml", "[job.a]\ncmd = \"echo \\\\{f}\"\neach.f = [\"x\"]\n");
    auto check = run_program({RINGRUN_BINARY, "check", file});
    EXPECT_NE(check.exit_code, 0);
    EXPECT_NE(check.err.find("right after a backslash"), std::string::npos) << check.err;
}

ShellPlace place_after(std::string_view literal) {
    ShellContextScanner scanner;
    scanner.feed(literal);
    return scanner.place();
}

TEST(ShellContextScanner, FollowsQuotesEscapesAndSubstitutions) {
    using Q = ShellPlace::Quotes;
    EXPECT_EQ(place_after("echo ").quotes, Q::none);
    EXPECT_EQ(place_after("echo '").quotes, Q::single);
    EXPECT_EQ(place_after("echo \"").quotes, Q::double_);
    EXPECT_EQ(place_after("echo \"'").quotes, Q::double_);
    EXPECT_EQ(place_after("echo '\"").quotes, Q::single);
    EXPECT_EQ(place_after("echo \\'").quotes, Q::none);
    EXPECT_EQ(place_after("echo \"\\\"").quotes, Q::double_);
    EXPECT_EQ(place_after("echo \"$(echo ").quotes, Q::none);
    EXPECT_EQ(place_after("echo \"$(echo (a) ").quotes, Q::none);
    EXPECT_EQ(place_after("echo \"$(echo x) ").quotes, Q::double_);
    EXPECT_EQ(place_after("echo \\$(").quotes, Q::none);
    EXPECT_EQ(place_after("echo \"`echo ").backquotes, std::vector<bool>{true});
    EXPECT_EQ(place_after("echo `echo '").backquotes, std::vector<bool>{false});
    EXPECT_TRUE(place_after("echo `x` ").backquotes.empty());
    EXPECT_TRUE(place_after("echo \\").after_backslash);
    EXPECT_FALSE(place_after("echo '\\").after_backslash);
}

}  // namespace
}  // namespace ringrun
