// PoolQueue, the library Pool's hand-over between submitting threads and the supervisor,
// driven here as the supervisor drives it (next, complete, flush): every task's result
// reaches its own waiter exactly once, also when the supervisor's run fails or work is
// cancelled, and a map() call's tasks carry where their results go in their inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "runner/library/pool_queue.hpp"

namespace ringrun {
namespace {

using Taken = std::vector<MapResult>;

// A finished job's result, as the supervisor hands it over.
JobResult ok(std::string value) {
    JobResult r;
    r.attempt = 1;
    r.out = std::move(value);
    return r;
}

// A map() call's tasks for results, indexed from first.
std::vector<PoolQueue::Submission> map_tasks(MapResults& results, uint64_t first,
                                             std::initializer_list<const char*> payloads) {
    std::vector<PoolQueue::Submission> tasks;
    for (const char* payload : payloads) tasks.push_back({payload, &results, first++});
    return tasks;
}

TEST(PoolQueue, MapResultsReachTheirCallWithTheirIndexes) {
    PoolQueue queue;
    MapResults results("echo");
    const uint64_t first = (uint64_t{1} << 40) + 5;  // indexes past 32 bits survive
    auto batch = map_tasks(results, first, {"a", "b", "c"});
    queue.submit_map(batch);
    EXPECT_TRUE(batch.empty());
    std::vector<std::vector<std::string>> read(3);
    for (auto& inputs : read) {
        ASSERT_TRUE(queue.next(inputs));
        EXPECT_EQ(PoolQueue::task_of(inputs), "echo");
    }
    EXPECT_EQ(PoolQueue::payload_of(read[1]), "b");
    std::vector<std::string> none;
    EXPECT_FALSE(queue.next(none));
    // Completed out of order, as workers finish them.
    for (int i : {2, 0, 1}) queue.complete(read[i], ok("r" + PoolQueue::payload_of(read[i])));
    queue.flush();
    Taken taken;
    results.take(taken, 3);
    ASSERT_EQ(taken.size(), 3u);
    std::sort(taken.begin(), taken.end(),
              [](const auto& x, const auto& y) { return x.index < y.index; });
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(taken[i].index, first + i);
        EXPECT_EQ(taken[i].take().value, std::string("r") + "abc"[i]);
    }
}

TEST(PoolQueue, AResultTakenIntoAReusedTaskResultLeavesNothingOfTheLast) {
    TaskResult into;
    MapResult failed;
    failed.status = TaskStatus::failed;
    failed.attempts = 2;
    failed.text = "boom";
    failed.take_into(into);
    EXPECT_EQ(into.status, TaskStatus::failed);
    EXPECT_EQ(into.error, "boom");
    EXPECT_EQ(into.attempts, 2u);
    MapResult ok;
    ok.attempts = 1;
    ok.text = "fine";
    ok.take_into(into);
    EXPECT_TRUE(into.ok());
    EXPECT_EQ(into.value, "fine");
    EXPECT_EQ(into.error, "");  // not the last one's
    EXPECT_EQ(into.attempts, 1u);
    MapResult empty;
    empty.take_into(into);
    EXPECT_EQ(into.value, "");
}

TEST(PoolQueue, AReusedInputTakesEachMapsOwnTask) {
    PoolQueue queue;
    MapResults first("echo");
    MapResults second("square");
    auto a = map_tasks(first, 0, {"1"});
    auto b = map_tasks(second, 0, {"2"});
    queue.submit_map(a);
    queue.submit_map(b);
    queue.submit("echo", "3");
    std::vector<std::string> inputs;  // one vector, reused as the supervisor reuses them
    ASSERT_TRUE(queue.next(inputs));
    EXPECT_EQ(PoolQueue::task_of(inputs), "echo");
    ASSERT_TRUE(queue.next(inputs));
    EXPECT_EQ(PoolQueue::task_of(inputs), "square");
    EXPECT_EQ(PoolQueue::payload_of(inputs), "2");
    ASSERT_TRUE(queue.next(inputs));  // a submit()'s, after two map() tasks'
    EXPECT_EQ(PoolQueue::task_of(inputs), "echo");
    EXPECT_EQ(PoolQueue::payload_of(inputs), "3");
    auto c = map_tasks(second, 1, {"4"});
    queue.submit_map(c);
    ASSERT_TRUE(queue.next(inputs));  // a map() task's again, after a submit()'s
    EXPECT_EQ(PoolQueue::task_of(inputs), "square");
    EXPECT_EQ(PoolQueue::payload_of(inputs), "4");
}

TEST(PoolQueue, SubmitAndApplyGoThroughTheWaiterTableAndSlotsAreReused) {
    PoolQueue queue;
    for (int round = 0; round < 3; ++round) {  // the second and third reuse the slots
        auto future = queue.submit("echo", "x");
        ApplyResult applied;
        queue.submit_apply("echo", "y", applied);
        std::vector<std::string> a, b;
        ASSERT_TRUE(queue.next(a));
        ASSERT_TRUE(queue.next(b));
        EXPECT_EQ(PoolQueue::payload_of(a), "x");
        EXPECT_EQ(PoolQueue::payload_of(b), "y");
        EXPECT_EQ(PoolQueue::task_of(a), "echo");
        queue.complete(b, ok("from y"));
        queue.complete(a, ok("from x"));
        queue.complete(a, ok("twice"));  // a second completion is ignored
        EXPECT_EQ(future.get(), "from x");
        EXPECT_EQ(applied.take().value, "from y");
    }
}

TEST(PoolQueue, AMapTaskInASlotAnApplyUsedBeforeGoesToTheMap) {
    PoolQueue queue;
    for (int round = 0; round < 8; ++round) {
        {
            ApplyResult applied;  // gone before the map's task reuses its slot
            queue.submit_apply("echo", "y", applied);
            std::vector<std::string> inputs;
            ASSERT_TRUE(queue.next(inputs));
            queue.complete(inputs, ok("applied"));
            EXPECT_EQ(applied.take().value, "applied");
        }
        MapResults results("echo");
        auto batch = map_tasks(results, 7, {"m"});
        queue.submit_map(batch);
        Taken taken;
        if (round % 2 == 0) {  // read and completed by the supervisor
            std::vector<std::string> inputs;
            ASSERT_TRUE(queue.next(inputs));
            queue.complete(inputs, ok("mapped"));
            queue.flush();
            results.take(taken, 1);
            ASSERT_EQ(taken.size(), 1u);
            EXPECT_EQ(taken[0].take().value, "mapped");
        } else {  // cancelled before the supervisor read it
            queue.cancel_pending();
            results.take(taken, 1);
            ASSERT_EQ(taken.size(), 1u);
            EXPECT_EQ(taken[0].status, TaskStatus::cancelled);
            EXPECT_TRUE(queue.take_cancel_request());
        }
        EXPECT_EQ(taken[0].index, 7u);
    }
}

TEST(PoolQueue, FailAllEndsAMapWhoseTasksTheSupervisorHeld) {
    PoolQueue queue;
    MapResults results("echo");
    queue.begin_map(results);
    auto batch = map_tasks(results, 0, {"held", "unread1", "unread2"});
    queue.submit_map(batch);
    std::vector<std::string> held;
    ASSERT_TRUE(queue.next(held));  // the supervisor holds it when its run fails
    queue.fail_all("the pool's supervisor failed: boom");
    Taken taken;
    results.take(taken, 3);  // never waits for the one that cannot come
    ASSERT_EQ(taken.size(), 2u);
    for (MapResult& result : taken) {
        EXPECT_NE(result.index, 0u);
        EXPECT_EQ(result.take().status, TaskStatus::lost);
    }
    results.take(taken, 1);
    EXPECT_TRUE(taken.empty());
    EXPECT_EQ(results.failure(), "the pool's supervisor failed: boom");
    queue.end_map(results);
    auto more = map_tasks(results, 3, {"late"});
    EXPECT_THROW(queue.submit_map(more), std::logic_error);
}

TEST(PoolQueue, CancelPendingCancelsWhatTheSupervisorHasNotRead) {
    PoolQueue queue;
    MapResults results("echo");
    auto batch = map_tasks(results, 0, {"one", "two"});
    queue.submit_map(batch);
    auto future = queue.submit("echo", "three");
    queue.cancel_pending();
    Taken taken;
    results.take(taken, 2);
    ASSERT_EQ(taken.size(), 2u);
    for (MapResult& result : taken) {
        TaskResult task_result = result.take();
        EXPECT_EQ(task_result.status, TaskStatus::cancelled);
        EXPECT_EQ(task_result.error, "cancelled before it started");
    }
    try {
        future.get();
        FAIL() << "a cancelled task's future must throw";
    } catch (const TaskError& e) {
        EXPECT_EQ(e.status(), TaskStatus::cancelled);
    }
    EXPECT_TRUE(queue.take_cancel_request());
    std::vector<std::string> none;
    EXPECT_FALSE(queue.next(none));
}

}  // namespace
}  // namespace ringrun
