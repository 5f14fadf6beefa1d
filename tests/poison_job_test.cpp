// A job that kills its worker every time, among innocent ones, across real processes:
// only the job that was running is charged, it is retried alone, and every innocent job
// succeeds every time (in-process tasks from compact records, and commands).
#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

using testing::lines_of;
using testing::ProgramRun;
using testing::run_program;

constexpr int kRepetitions = 200;

std::string poisoned_tasks() {
    std::string lines;
    for (int i = 1; i <= 100; ++i)
        lines += i == 10 ? "{\"task\":\"crash\"}\n"
                         : "{\"task\":\"echo\",\"payload\":\"" + std::to_string(i) + "\\n\"}\n";
    return lines;
}

class PoisonJob : public ::testing::TestWithParam<const char*> {};

TEST_P(PoisonJob, ACrashingTaskFailsAloneAndEveryInnocentTaskSucceeds) {
    const std::string input = poisoned_tasks();
    for (int round = 0; round < kRepetitions; ++round) {
        auto r = run_program({RINGRUN_BINARY, GetParam(), "--jsonl"}, input);
        ASSERT_EQ(r.exit_code, 1) << "round " << round << "\n" << r.err;
        ASSERT_EQ(lines_of(r.out).size(), 99u) << "round " << round << "\n" << r.err;
        ASSERT_NE(r.err.find("job 10 (crash"), std::string::npos) << r.err;
        ASSERT_NE(r.err.find("crashed with SIGSEGV"), std::string::npos) << r.err;
        ASSERT_NE(r.err.find("(attempt 3 of 3)"), std::string::npos) << r.err;
    }
}

TEST_P(PoisonJob, ACommandKillingItsWorkerFailsAloneAndEveryOtherCommandSucceeds) {
    ProgramRun run;
    run.argv = {RINGRUN_BINARY, GetParam(),
                "if [ {} = 5 ]; then kill -9 $PPID; sleep 1; fi; echo {}", ":::"};
    for (int i = 1; i <= 10; ++i) run.argv.push_back(std::to_string(i));
    for (int round = 0; round < kRepetitions; ++round) {
        auto r = run_program(run);
        ASSERT_EQ(r.exit_code, 1) << "round " << round << "\n" << r.err;
        auto lines = lines_of(r.out, true);
        ASSERT_EQ(lines, (std::vector<std::string>{"1", "10", "2", "3", "4", "6", "7", "8", "9"}))
            << "round " << round << "\n"
            << r.err;
        ASSERT_NE(r.err.find("job 5 ("), std::string::npos) << r.err;
    }
}

TEST_P(PoisonJob, ACommandLostWithItsWorkerIsReportedWithItsLastStderrLines) {
    // The pause lets the worker read the lines before the command kills it.
    auto r = run_program({RINGRUN_BINARY, GetParam(),
                          "if [ {} = 2 ]; then echo first >&2; echo disk on fire >&2; sleep 0.3; "
                          "kill -9 $PPID; sleep 1; fi; echo {}",
                          ":::", "1", "2", "3"});
    ASSERT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(lines_of(r.out, true), (std::vector<std::string>{"1", "3"})) << r.err;
    EXPECT_NE(r.err.find("its last stderr: first | disk on fire"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Workers, PoisonJob, ::testing::Values("-j2", "-j4"),
                         [](const auto& info) { return std::string(info.param).substr(1); });

}  // namespace
}  // namespace ringrun
