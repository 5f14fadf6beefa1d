// CircularQueue: the scheduler's job queues. Order is the whole contract: across
// wrap-around, growth and pushes at both ends, nothing is reordered or lost.
#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "runner/core/circular_queue.hpp"

namespace ringrun {
namespace {

TEST(CircularQueue, KeepsOrderAcrossWrapAroundAndGrowth) {
    CircularQueue<std::string> q;
    std::deque<std::string> model;
    uint64_t next = 0;
    // Pushes outpace pops, so the buffer wraps many times and grows several times.
    for (int round = 0; round < 2000; ++round) {
        for (int i = 0; i < 3; ++i) {
            q.push_back(std::to_string(next));
            model.push_back(std::to_string(next++));
        }
        for (int i = 0; i < 2 && !model.empty(); ++i) {
            ASSERT_EQ(q.front(), model.front());
            q.pop_front();
            model.pop_front();
        }
        ASSERT_EQ(q.size(), model.size());
    }
    for (size_t i = 0; i < model.size(); ++i) ASSERT_EQ(q[i], model[i]);
}

TEST(CircularQueue, PushFrontComesOutFirstEvenWhenItGrowsTheBuffer) {
    CircularQueue<int> q;
    for (int i = 0; i < 16; ++i) q.push_back(int{i});  // full at its first size
    q.push_front(-1);                                  // grows, then wraps the head
    q.push_front(-2);
    ASSERT_EQ(q.size(), 18u);
    EXPECT_EQ(q[0], -2);
    EXPECT_EQ(q[1], -1);
    for (int i = 0; i < 16; ++i) EXPECT_EQ(q[2 + i], i);
}

TEST(CircularQueue, ClearEmptiesAndStaysUsable) {
    CircularQueue<std::string> q;
    for (int i = 0; i < 40; ++i) q.push_back(std::string(100, 'x'));
    q.clear();
    EXPECT_TRUE(q.empty());
    q.push_back("after");
    EXPECT_EQ(q.front(), "after");
    EXPECT_EQ(q.size(), 1u);
}

}  // namespace
}  // namespace ringrun
