// The library's worker recycling and task memory limit (PoolOptions::max_tasks_per_worker,
// max_worker_memory, memory_limit), through the installed interface only, on processes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <ringrun/pool.hpp>
#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace {

using ringrun::Pool;
using ringrun::PoolOptions;
using ringrun::TaskError;
using ringrun::TaskResult;
using ringrun::TaskStatus;

std::string worker_pid(std::string_view) {
    return std::to_string(::getpid());
}
RINGRUN_TASK(worker_pid);

TEST(PoolRecycling, MaxTasksPerWorkerReplacesWorkersWithoutRestartsAndLosesNothing) {
    PoolOptions options;
    options.workers = 2;
    options.max_tasks_per_worker = 10;
    Pool pool(options);
    std::map<std::string, int> tasks_by_pid;
    size_t results = 0;
    pool.map("worker_pid", std::vector<std::string>(1000, ""), [&](uint64_t, TaskResult& r) {
        ASSERT_TRUE(r.ok()) << r.error;
        ++tasks_by_pid[r.value];
        ++results;
    });
    EXPECT_EQ(results, 1000u);
    for (const auto& [pid, count] : tasks_by_pid) EXPECT_LE(count, 10) << pid;
    EXPECT_GE(tasks_by_pid.size(), 100u);
    EXPECT_LE(tasks_by_pid.size(), 102u);
    EXPECT_EQ(pool.stats().worker_restarts, 0u) << "recycling is not restarting";
    EXPECT_EQ(pool.apply("echo", "after"), "after");  // still usable
}

TEST(PoolRecycling, ALeakingTaskUnderMaxWorkerMemoryStaysBounded) {
    PoolOptions options;
    options.workers = 2;
    options.max_worker_memory = 100 << 20;
    Pool pool(options);
    long max_rss_kib = 0;
    std::map<long, int> tasks_by_pid;
    for (int i = 0; i < 60; ++i) {
        const std::string out = pool.apply("leak", "10");
        long pid = 0, rss = 0;
        ASSERT_EQ(std::sscanf(out.c_str(), "%ld %ld", &pid, &rss), 2) << out;
        ++tasks_by_pid[pid];
        max_rss_kib = std::max(max_rss_kib, rss);
    }
    EXPECT_LT(max_rss_kib, (100 + 10 + 40) * 1024);
    EXPECT_GE(tasks_by_pid.size(), 4u) << "600 MiB leaked in workers of 100 MiB";
}

// AddressSanitizer, as GCC and Clang each say it.
#if defined(__SANITIZE_ADDRESS__)
#define RINGRUN_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RINGRUN_UNDER_ASAN 1
#endif
#endif

TEST(PoolMemoryLimit, ATaskAllocatingPastItFailsWithMemoryLimitAndItsWorkerGoesOn) {
#if defined(RINGRUN_UNDER_ASAN)
    GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space and aborts, rather "
                    "than throw, when an allocation fails";
#endif
    PoolOptions options;
    options.workers = 1;
    options.memory_limit = 64 << 20;
    Pool pool(options);
    try {
        pool.apply("leak", "512");
        ADD_FAILURE() << "512 MiB under a 64 MiB limit succeeded";
    } catch (const TaskError& e) {
        EXPECT_EQ(e.status(), TaskStatus::memory_limit) << e.what();
        EXPECT_NE(std::string(e.what()).find("ran out of memory"), std::string::npos) << e.what();
    }
    EXPECT_EQ(pool.apply("echo", "fine"), "fine");
    EXPECT_EQ(pool.stats().worker_restarts, 0u);
}

}  // namespace
