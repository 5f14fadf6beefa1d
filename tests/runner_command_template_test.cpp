// Command templates: replacement strings, when a shell is used, and that no input can
// inject shell syntax (each hostile input is run through a real /bin/sh and must come
// back byte for byte as one argument).
#include <gtest/gtest.h>

#include "runner/command_template.hpp"
#include "runner/input_source.hpp"
#include "runner/shell_quote.hpp"
#include "worker/command_executor.hpp"

namespace ringrun {
namespace {

JobSpec make(const std::vector<std::string>& words, const std::string& input, uint64_t seq = 1,
             uint32_t slot = 0) {
    return CommandTemplate::for_command(words).make_job(seq, slot, {input});
}

TEST(CommandTemplate, AppendsInputWhenNoReplacementString) {
    JobSpec job = make({"gzip", "-9"}, "a.log");
    EXPECT_EQ(job.kind, JobSpec::Kind::argv);
    EXPECT_EQ(job.argv, (std::vector<std::string>{"gzip", "-9", "a.log"}));
}

TEST(CommandTemplate, ReplacementStringsMatchGnuParallel) {
    JobSpec job = make({"echo", "{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}"},
                       "dir.d/sub/file.tar.gz", 12, 2);
    EXPECT_EQ(job.argv,
              (std::vector<std::string>{"echo", "dir.d/sub/file.tar.gz", "dir.d/sub/file.tar",
                                        "file.tar.gz", "dir.d/sub", "file.tar", "12", "3"}));
    JobSpec plain = make({"echo", "{.}", "{//}", "{/.}"}, "noext");
    EXPECT_EQ(plain.argv, (std::vector<std::string>{"echo", "noext", ".", "noext"}));
    JobSpec hidden = make({"echo", "{.}"}, "dir/.hidden");
    EXPECT_EQ(hidden.argv[1], "dir/.hidden");
}

TEST(CommandTemplate, ReplacementInsideAWord) {
    JobSpec job = make({"convert", "{}", "{.}.png"}, "photo.jpg");
    EXPECT_EQ(job.argv, (std::vector<std::string>{"convert", "photo.jpg", "photo.png"}));
}

TEST(CommandTemplate, UsesShellOnlyWhenNeeded) {
    EXPECT_FALSE(CommandTemplate::for_command({"gzip", "-9", "{}"}).uses_shell());
    EXPECT_TRUE(CommandTemplate::for_command({"echo {} | wc -c"}).uses_shell());
    EXPECT_TRUE(CommandTemplate::for_command({"exit", "3"}).uses_shell());
    EXPECT_TRUE(CommandTemplate::for_command({"A=1", "env"}).uses_shell());
    EXPECT_TRUE(CommandTemplate::for_command({"echo", "$HOME"}).uses_shell());
}

TEST(CommandTemplate, SeveralInputsJoinWithSpaces) {
    JobSpec job = CommandTemplate::for_command({"echo"}).make_job(1, 0, {"a", "b"});
    EXPECT_EQ(job.argv, (std::vector<std::string>{"echo", "a b"}));
}

TEST(CommandTemplate, TaskGetsInputAsPayload) {
    JobSpec job = CommandTemplate::for_task("echo").make_job(3, 0, {"payload x"});
    EXPECT_EQ(job.kind, JobSpec::Kind::task);
    EXPECT_EQ(job.task_name, "echo");
    EXPECT_EQ(job.payload, "payload x");
}

TEST(ShellQuote, LeavesPlainWordsAlone) {
    EXPECT_EQ(shell_quote("file-1.txt"), "file-1.txt");
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}

TEST(ShellQuote, NoInputCanInjectShellSyntax) {
    const std::string hostile[] = {
        "; rm -rf x",
        "$(touch pwned)",
        "`touch pwned`",
        "a'b\"c",
        "line1\nline2",
        "\xff\xfe non-utf8 \x80",
        "*",
        "~",
        "a && b || c",
        "$HOME",
        "\\",
        "'",
        "{}",
        " lead and trail ",
    };
    for (const auto& input : hostile) {
        JobSpec job = make({"printf '%s' {}"}, input);
        ASSERT_EQ(job.kind, JobSpec::Kind::shell);
        JobResult r = run_command(job, 0);
        EXPECT_EQ(r.status, JobStatus::ok) << input;
        EXPECT_EQ(r.out, input) << "input changed the command: " << job.shell_line;
    }
}

TEST(InputSources, ArgumentListsGiveTheirProductLastVaryingFastest) {
    ArgumentProduct product({{"a", "b"}, {"1", "2", "3"}});
    std::vector<std::string> inputs;
    std::vector<std::string> seen;
    while (product.next(inputs)) seen.push_back(inputs[0] + inputs[1]);
    EXPECT_EQ(seen, (std::vector<std::string>{"a1", "a2", "a3", "b1", "b2", "b3"}));
    EXPECT_TRUE(product.exhausted());
}

TEST(InputSources, EmptyListGivesNoJobs) {
    ArgumentProduct product(std::vector<std::vector<std::string>>{std::vector<std::string>{}});
    std::vector<std::string> inputs;
    EXPECT_FALSE(product.next(inputs));
    EXPECT_TRUE(product.exhausted());
}

TEST(InputSources, LineStreamSplitsLinesAndKeepsLastUnterminatedLine) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::string text = "one\n\ntwo\nthree";
    ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fds[1]);
    LineStream stream(fds[0]);
    std::vector<std::string> inputs, seen;
    while (!stream.exhausted()) {
        if (stream.next(inputs))
            seen.push_back(inputs[0]);
        else
            stream.fill();
    }
    close(fds[0]);
    EXPECT_EQ(seen, (std::vector<std::string>{"one", "", "two", "three"}));
}

}  // namespace
}  // namespace ringrun
