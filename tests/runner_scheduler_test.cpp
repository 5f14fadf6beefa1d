// The scheduler's book-keeping: nothing is lost or duplicated when jobs move between
// pending, in flight and requeued; credits shrink for long jobs and grow for tiny ones.
#include <gtest/gtest.h>

#include "runner/core/scheduler.hpp"

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
    for (auto it = lost.rbegin(); it != lost.rend(); ++it) s.requeue_first(**it);
    EXPECT_EQ(s.pending_for(0, 0).seq, 1u);
    EXPECT_EQ(s.pending_count(), 3u);
    EXPECT_EQ(s.in_flight(0), 0u);
}

TEST(Scheduler, ARetiredEntryIsReadIntoAgainWithItsInputs) {
    Scheduler s(1);
    QueuedJob& first = s.draft();
    first.inputs = {"a", "b"};
    first.seq = 1;
    EXPECT_EQ(&s.draft(), &first);  // a draft stays the draft until queued
    s.enqueue_draft();
    QueuedJob& second = s.draft();
    EXPECT_NE(&second, &first);
    second.seq = 2;
    s.enqueue_draft();
    s.dispatch_first(0);
    s.dispatch_first(0);
    QueuedJob& done = s.complete_oldest(0, 1000);
    EXPECT_EQ(done.seq, 1u);
    s.retire(done);
    QueuedJob& third = s.draft();
    EXPECT_EQ(&third, &first);  // reused: its inputs are there for the reader to overwrite
    EXPECT_EQ(third.inputs, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(third.seq, 0u);
    EXPECT_EQ(third.attempt, 1u);
    EXPECT_EQ(s.oldest_in_flight(0)->seq, 2u);
}

TEST(Scheduler, DroppedAndTakenJobsLeaveTheQueuesAndTheirEntriesComeBack) {
    Scheduler s(1);
    for (uint64_t i = 1; i <= 3; ++i) s.enqueue({i, 1, {std::to_string(i)}});
    s.requeue_at(s.take_first_pending(0), Scheduler::Clock::now());
    auto waiting = s.take_pending();
    ASSERT_EQ(waiting.size(), 3u);
    EXPECT_EQ(waiting[0]->seq, 1u);  // oldest first, delayed ones included
    EXPECT_EQ(waiting[2]->seq, 3u);
    EXPECT_FALSE(s.has_pending());
    EXPECT_EQ(s.delayed_count(), 0u);
    for (QueuedJob* job : waiting) s.retire(*job);
    for (uint64_t i = 4; i <= 6; ++i) s.enqueue({i, 1, {}});
    s.drop_pending();
    EXPECT_FALSE(s.has_pending());
    std::vector<const QueuedJob*> reused;  // three entries serve all six jobs
    for (int i = 0; i < 3; ++i) {
        reused.push_back(&s.draft());
        s.enqueue_draft();
    }
    for (const QueuedJob* job : reused)
        EXPECT_TRUE(job == waiting[0] || job == waiting[1] || job == waiting[2]);
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
