// The scheduler's book-keeping: nothing is lost or duplicated when jobs move between
// pending, in flight and requeued; credits shrink for long jobs and grow for tiny ones.
#include <gtest/gtest.h>

#include "runner/scheduler.hpp"

namespace ringrun {
namespace {

TEST(Scheduler, JobsFlowInOrderThroughSlots) {
    Scheduler s(2);
    for (uint64_t i = 1; i <= 4; ++i) s.enqueue({i, 1, {std::to_string(i)}});
    s.dispatch_first(0);
    s.dispatch_first(1);
    s.dispatch_first(0);
    EXPECT_EQ(s.pending_count(), 1u);
    EXPECT_EQ(s.in_flight(0), 2u);
    EXPECT_EQ(s.oldest_in_flight(0)->seq, 1u);
    EXPECT_EQ(s.complete_oldest(0, 1000).seq, 1u);
    EXPECT_EQ(s.oldest_in_flight(0)->seq, 3u);
    EXPECT_EQ(s.in_flight_total(), 2u);
}

TEST(Scheduler, TakenJobsCanBeRequeuedFirst) {
    Scheduler s(1);
    for (uint64_t i = 1; i <= 3; ++i) s.enqueue({i, 1, {}});
    s.dispatch_first(0);
    s.dispatch_first(0);
    auto lost = s.take_in_flight(0);
    ASSERT_EQ(lost.size(), 2u);
    for (auto it = lost.rbegin(); it != lost.rend(); ++it) s.requeue_first(*it);
    EXPECT_EQ(s.pending_for(0, 0).seq, 1u);
    EXPECT_EQ(s.pending_count(), 3u);
    EXPECT_EQ(s.in_flight(0), 0u);
}

TEST(Scheduler, CreditsAdaptToJobLength) {
    Scheduler s(1);
    for (uint64_t i = 1; i <= 100; ++i) s.enqueue({i, 1, {}});
    for (int i = 0; i < 50; ++i) {
        s.dispatch_first(0);
        s.complete_oldest(0, 1000);  // 1 µs jobs
    }
    EXPECT_GT(s.credit_limit(), 8u);
    for (int i = 0; i < 50; ++i) {
        s.dispatch_first(0);
        s.complete_oldest(0, 1'000'000'000);  // 1 s jobs
    }
    EXPECT_EQ(s.credit_limit(), 1u);
}

}  // namespace
}  // namespace ringrun
