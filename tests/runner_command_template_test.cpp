// Command templates: replacement strings, when a shell is used, and that no input can
// inject shell syntax (each hostile input is run through a real /bin/sh and must come
// back byte for byte as one argument).
#include <gtest/gtest.h>

#include <memory>

#include "runner/cli/input_readers.hpp"
#include "runner/templates/command_template.hpp"
#include "runner/templates/shell_quote.hpp"
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

TEST(CommandTemplate, SeveralInputsBecomeSeveralWordsAsTheShellWouldSplitThem) {
    JobSpec job = CommandTemplate::for_command({"echo"}).make_job(1, 0, {"a b", "c"});
    EXPECT_EQ(job.argv, (std::vector<std::string>{"echo", "a b", "c"}));
    JobSpec glued = CommandTemplate::for_command({"echo", "x{}y"}).make_job(1, 0, {"a", "b"});
    EXPECT_EQ(glued.argv, (std::vector<std::string>{"echo", "xa", "by"}));
    EXPECT_EQ(CommandTemplate::for_command({"echo"}).command_line(1, 0, {"a b", "c"}),
              "echo 'a b' c");
}

TEST(CommandTemplate, PositionalAndNamedReplacementStrings) {
    auto t = CommandTemplate::for_command({"echo", "{2}", "{1.}", "{2/.}", "{3}", "{name//}"},
                                          {"first", "name"});
    JobSpec job = t.make_job(1, 0, {"a.txt", "dir/b.tar.gz"});
    EXPECT_EQ(job.argv,
              (std::vector<std::string>{"echo", "dir/b.tar.gz", "a", "b.tar", "", "dir"}));
}

TEST(CommandTemplate, UnknownBracesStayLiteral) {
    auto t = CommandTemplate::for_command({"awk '{print $1}' {}"});
    EXPECT_EQ(t.command_line(1, 0, {"f"}), "awk '{print $1}' f");
    auto u = CommandTemplate::for_command({"echo", "{nope}", "{0}"});
    EXPECT_EQ(u.make_job(1, 0, {"x"}).argv,
              (std::vector<std::string>{"echo", "{nope}", "{0}", "x"}));
}

TEST(CommandTemplate, LoggedCommandRunsAsWritten) {
    JobSpec job = CommandTemplate::for_logged_command().make_job(3, 0, {"echo 'a b' | wc -c"});
    EXPECT_EQ(job.kind, JobSpec::Kind::shell);
    EXPECT_EQ(job.shell_line, "echo 'a b' | wc -c");
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
    EXPECT_EQ(shell_quote("it's"), "'it'\"'\"'s'");  // as GNU parallel writes it
    EXPECT_EQ(shell_quote("a,b"), "'a,b'");
    EXPECT_EQ(shell_quote("a+b/c_d.e-f"), "a+b/c_d.e-f");
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
    ArgumentProduct product({{{"a", "b"}}, {{"1", "2", "3"}}});
    std::vector<std::string> inputs;
    std::vector<std::string> seen;
    while (product.next(inputs)) seen.push_back(inputs[0] + inputs[1]);
    EXPECT_EQ(seen, (std::vector<std::string>{"a1", "a2", "a3", "b1", "b2", "b3"}));
    EXPECT_TRUE(product.exhausted());
}

TEST(InputSources, EmptyListGivesNoJobs) {
    ArgumentProduct product(std::vector<InputList>{InputList{}});
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

std::vector<std::string> drain(InputSource& source) {
    std::vector<std::string> seen, inputs;
    while (!source.exhausted()) {
        if (source.next(inputs)) {
            std::string joined;
            for (const auto& i : inputs) joined += (joined.empty() ? "" : "|") + i;
            seen.push_back(joined);
        } else if (source.fd() >= 0) {
            source.fill();
        } else {
            break;
        }
    }
    return seen;
}

TEST(InputSources, LinkedListsPairUpToTheShortest) {
    // ::: a b c :::+ 1 2 ::: x y  ->  (a,1) (b,2) crossed with x y
    ArgumentProduct product({{{"a", "b", "c"}}, {{"1", "2"}, true}, {{"x", "y"}}});
    EXPECT_EQ(drain(product), (std::vector<std::string>{"a|1|x", "a|1|y", "b|2|x", "b|2|y"}));
}

TEST(InputSources, ColumnsSplitAtALiteralOrARegex) {
    auto split = [](const std::string& sep, std::vector<std::string> values) {
        ColumnSplit columns(
            std::make_unique<ArgumentProduct>(std::vector<InputList>{InputList{std::move(values)}}),
            sep);
        return drain(columns);
    };
    EXPECT_EQ(split(",", {"a,b,,c"}), (std::vector<std::string>{"a|b||c"}));
    EXPECT_EQ(split("\\t", {"a\tb"}), (std::vector<std::string>{"a|b"}));
    EXPECT_EQ(split(" +", {"a   b c"}), (std::vector<std::string>{"a|b|c"}));
}

TEST(InputSources, BatchesGatherNArgumentsAndTheRest) {
    ArgumentBatch batch(std::make_unique<ArgumentProduct>(
                            std::vector<InputList>{InputList{{"1", "2", "3", "4", "5"}}}),
                        2);
    EXPECT_EQ(drain(batch), (std::vector<std::string>{"1|2", "3|4", "5"}));
}

TEST(InputSources, NulDelimitedStream) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::string text("a b\0c\nd\0", 8);
    ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fds[1]);
    LineStream stream(fds[0], '\0', true);
    EXPECT_EQ(drain(stream), (std::vector<std::string>{"a b", "c\nd"}));
}

}  // namespace
}  // namespace ringrun
