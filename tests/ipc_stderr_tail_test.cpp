// The stderr tail kept in a worker's slot: the last lines survive any amount written
// before them, a cut first line is dropped, and control bytes cannot reach a report.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ipc/stderr_tail.hpp"

namespace ringrun::ipc {
namespace {

TEST(StderrTail, KeepsTheLastLinesJoined) {
    auto tail = std::make_unique<StderrTail>();
    tail->clear();
    const std::string text = "one\ntwo\nthree\nfour\n";
    tail->append(text.data(), text.size());
    EXPECT_EQ(tail->last_lines(3), "two | three | four");
    EXPECT_EQ(tail->last_lines(1), "four");
}

TEST(StderrTail, KeepsTheEndOfFarMoreThanItHolds) {
    auto tail = std::make_unique<StderrTail>();
    tail->clear();
    for (int i = 0; i < 10000; ++i) {
        const std::string line = "line " + std::to_string(i) + "\n";
        tail->append(line.data(), line.size());
    }
    EXPECT_EQ(tail->last_lines(2), "line 9998 | line 9999");
    const std::string huge(5000, 'x');
    tail->append(huge.data(), huge.size());
    EXPECT_EQ(tail->last_lines(3), std::string(StderrTail::kBytes, 'x'));
}

TEST(StderrTail, DropsACutFirstLineAndMasksControlBytes) {
    auto tail = std::make_unique<StderrTail>();
    tail->clear();
    std::string text(StderrTail::kBytes - 6, 'a');
    text += "\nb\x1b[2Jc\n";
    tail->append(text.data(), text.size());
    EXPECT_EQ(tail->last_lines(5), "b?[2Jc");
}

TEST(StderrTail, IsEmptyAfterAClear) {
    auto tail = std::make_unique<StderrTail>();
    tail->append("x\n", 2);
    tail->clear();
    EXPECT_EQ(tail->last_lines(3), "");
}

}  // namespace
}  // namespace ringrun::ipc
