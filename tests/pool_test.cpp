// The library: ringrun::Pool on both backends, through the installed interface only
// (this test links libringrun.so and includes nothing but <ringrun/...>). Crashes and
// timeouts are in pool_processes_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ringrun/pool.hpp>
#include <set>
#include <thread>
#include <vector>

#include "tests/support/pool_errors.hpp"
#include "tests/support/test_support.hpp"

namespace {

using ringrun::Backend;
using ringrun::Pool;
using ringrun::PoolOptions;
using ringrun::TaskError;
using ringrun::TaskResult;
using ringrun::TaskStatus;
using ringrun::testing::apply_error;
using ringrun::testing::error_of;

std::string square(std::string_view payload) {
    const long n = std::stol(std::string(payload));
    return std::to_string(n * n);
}
RINGRUN_TASK(square);

std::string refuse(std::string_view payload) {
    throw std::runtime_error("refused " + std::string(payload));
}
RINGRUN_TASK(refuse);

// Returns payload's number of bytes, a pattern: a small job with a result too big for
// any result record (it is spilled).
std::string inflate(std::string_view payload) {
    std::string out(std::stoul(std::string(payload)), 'x');
    for (size_t i = 0; i < out.size(); i += 4093) out[i] = static_cast<char>('a' + i % 26);
    return out;
}
RINGRUN_TASK(inflate);

// Leaves marker (so that a test knows it runs), then sleeps 300 ms.
std::string announce_then_sleep(std::string_view marker) {
    std::ofstream(std::string(marker)) << "running\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return "slept";
}
RINGRUN_TASK(announce_then_sleep);

// Returns once path exists (a test creates it), or fails after 60 s.
std::string wait_for_file(std::string_view path) {
    const std::string file(path);
    if (!ringrun::testing::poll_until([&] { return ::access(file.c_str(), F_OK) == 0; },
                                      std::chrono::seconds(60)))
        throw std::runtime_error("never appeared");
    return "found";
}
RINGRUN_TASK(wait_for_file);

// How often this worker's start hook ran, and who the worker is.
thread_local int hook_runs = 0;
std::string hook_report(std::string_view) {
    return std::to_string(hook_runs) + " " + std::to_string(::getpid()) + " " +
           std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
}
RINGRUN_TASK(hook_report);

class PoolOnBothBackends : public ::testing::TestWithParam<Backend> {
  protected:
    PoolOptions options(size_t workers = 2) {
        PoolOptions o;
        o.backend = GetParam();
        o.workers = workers;
        return o;
    }
};

TEST_P(PoolOnBothBackends, SubmitReturnsTheTasksValue) {
    Pool pool(options());
    EXPECT_EQ(pool.submit("square", "12").get(), "144");
    EXPECT_EQ(pool.submit("echo", "as it was").get(), "as it was");
    EXPECT_EQ(pool.workers(), 2u);
    EXPECT_EQ(pool.backend(), GetParam());
}

TEST_P(PoolOnBothBackends, ManyFuturesAllResolve) {
    Pool pool(options());
    std::vector<std::future<std::string>> futures;
    for (int i = 0; i < 5000; ++i) futures.push_back(pool.submit("square", std::to_string(i)));
    for (int i = 0; i < 5000; ++i) ASSERT_EQ(futures[i].get(), std::to_string(i * i));
    EXPECT_EQ(pool.stats().succeeded, 5000u);
}

TEST_P(PoolOnBothBackends, ThreadsSubmitAndMapConcurrently) {
    Pool pool(options());
    std::vector<std::thread> threads;
    std::atomic<size_t> wrong{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            if (t % 2 == 0) {
                std::vector<std::future<std::string>> futures;
                for (int i = 0; i < 5000; ++i)
                    futures.push_back(pool.submit("square", std::to_string(t * 10000 + i)));
                for (int i = 0; i < 5000; ++i) {
                    const long n = t * 10000 + i;
                    wrong += futures[i].get() != std::to_string(n * n);
                }
            } else {
                pool.map(
                    "square", std::vector<std::string>(20000, std::to_string(t)),
                    [&](uint64_t, TaskResult& r) { wrong += r.value != std::to_string(t * t); });
            }
        });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0u);
    EXPECT_EQ(pool.stats().succeeded, 2 * 5000u + 2 * 20000u);
}

// The TaskError that apply() threw; none (a test failure) if it returned.
TEST_P(PoolOnBothBackends, ApplyReturnsTheValueOrThrowsTheTasksError) {
    Pool pool(options());
    EXPECT_EQ(pool.apply("square", "12"), "144");
    for (int i = 0; i < 2000; ++i)
        ASSERT_EQ(pool.apply("square", std::to_string(i)), square(std::to_string(i)));
    auto e = apply_error(pool, "refuse", "this");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status(), TaskStatus::failed);
    EXPECT_NE(std::string(e->what()).find("refused this"), std::string::npos) << e->what();
    e = apply_error(pool, "no_such_task", "");
    ASSERT_TRUE(e);
    EXPECT_NE(std::string(e->what()).find("no_such_task"), std::string::npos) << e->what();
    EXPECT_EQ(pool.stats().succeeded, 2001u);
}

// A task longer than apply() drives the loop for: the pool's thread takes over, and
// work submitted meanwhile from another thread is served too.
TEST_P(PoolOnBothBackends, ApplyOfALongTaskWaitsPastItsLoan) {
    Pool pool(options());
    auto beside = std::async(std::launch::async, [&] {
        std::vector<std::future<std::string>> futures;
        for (int i = 0; i < 500; ++i) futures.push_back(pool.submit("square", "3"));
        size_t right = 0;
        for (auto& f : futures) right += f.get() == "9";
        return right;
    });
    EXPECT_EQ(pool.apply("sleep", "30"), "");
    EXPECT_EQ(beside.get(), 500u);
    EXPECT_EQ(pool.apply("square", "5"), "25");
}

TEST_P(PoolOnBothBackends, ApplyFromManyThreadsBesideSubmitAndMap) {
    Pool pool(options());
    std::atomic<size_t> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 3000; ++i) {
                const long n = t * 10000 + i;
                wrong += pool.apply("square", std::to_string(n)) != std::to_string(n * n);
            }
        });
    threads.emplace_back([&] {
        pool.map("square", std::vector<std::string>(20000, "4"),
                 [&](uint64_t, TaskResult& r) { wrong += r.value != "16"; });
    });
    threads.emplace_back([&] {
        std::vector<std::future<std::string>> futures;
        for (int i = 0; i < 3000; ++i) futures.push_back(pool.submit("square", "6"));
        for (auto& f : futures) wrong += f.get() != "36";
    });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0u);
    EXPECT_EQ(pool.stats().succeeded, 3 * 3000u + 20000u + 3000u);
}

TEST_P(PoolOnBothBackends, TheDestructorDrainsWhatWasSubmitted) {
    std::vector<std::future<std::string>> futures;
    {
        PoolOptions o = options();
        o.workers = 0;  // one per core
        Pool pool(o);
        EXPECT_GE(pool.workers(), 1u);
        for (int i = 0; i < 1000; ++i) futures.push_back(pool.submit("square", "11"));
    }
    for (auto& f : futures) {
        ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
        EXPECT_EQ(f.get(), "121");
    }
}

TEST_P(PoolOnBothBackends, AThrowingTaskFailsItsFutureWithTheMessage) {
    Pool pool(options());
    {
        auto e = error_of(pool.submit("refuse", "this"));
        ASSERT_TRUE(e);
        EXPECT_EQ(e->status(), TaskStatus::failed);
        EXPECT_NE(std::string(e->what()).find("refused this"), std::string::npos) << e->what();
        EXPECT_EQ(e->attempts(), 1u);  // failures are not retried unless asked
    }
    {
        auto e = error_of(pool.submit("no_such_task", ""));
        ASSERT_TRUE(e);
        EXPECT_EQ(e->status(), TaskStatus::failed);
        EXPECT_NE(std::string(e->what()).find("unknown task 'no_such_task'"), std::string::npos);
    }
    EXPECT_EQ(pool.submit("square", "3").get(), "9");  // still usable
}

TEST_P(PoolOnBothBackends, MapDeliversEveryIndexOnceWithinItsWindow) {
    Pool pool(options());
    const size_t n = 100'000;
    std::vector<int> seen(n, 0);
    size_t failures = 0;
    std::vector<std::string> payloads;
    for (size_t i = 0; i < n; ++i) payloads.push_back(std::to_string(i % 1000));
    pool.map(
        "square", payloads,
        [&](uint64_t index, TaskResult& r) {
            ++seen[index];
            if (!r.ok() || r.value != std::to_string((index % 1000) * (index % 1000))) ++failures;
        },
        /*window=*/512);
    EXPECT_EQ(failures, 0u);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(n));
}

// map()'s caller may run the pool's loop itself between its callbacks, never during
// them: a callback that waits on the pool (a new task's future, an apply, or a task
// already running) is answered.
TEST_P(PoolOnBothBackends, MapCallbacksMayWaitOnThePool) {
    ringrun::testing::ScratchDir dir;
    Pool pool(options());
    auto running = pool.submit("announce_then_sleep", dir.path("marker"));
    const size_t n = 20'000;
    size_t results = 0, wrong = 0;
    std::vector<std::string> payloads;
    for (size_t i = 0; i < n; ++i) payloads.push_back(std::to_string(i % 100));
    pool.map("square", payloads, [&](uint64_t index, TaskResult& r) {
        ++results;
        wrong += !r.ok() || r.value != std::to_string((index % 100) * (index % 100));
        if (index % 1000 == 0) {
            wrong += pool.submit("square", "3").get() != "9";
            wrong += pool.apply("square", "4") != "16";
        }
        if (index == n / 2) wrong += running.get() != "slept";
    });
    EXPECT_EQ(results, n);
    EXPECT_EQ(wrong, 0u);
}

TEST_P(PoolOnBothBackends, MapReportsFailuresPerElementAndRethrowsFromTheCallback) {
    Pool pool(options());
    std::vector<std::string> payloads{"1", "x", "3"};
    std::map<uint64_t, TaskResult> results;
    pool.map("square", payloads, [&](uint64_t i, TaskResult& r) { results[i] = r; });
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0].value, "1");
    EXPECT_EQ(results[1].status, TaskStatus::failed);
    EXPECT_EQ(results[2].value, "9");
    EXPECT_THROW(pool.map("square", payloads,
                          [](uint64_t, TaskResult&) { throw std::runtime_error("stop"); }),
                 std::runtime_error);
    EXPECT_EQ(pool.submit("square", "4").get(), "16");
}

// Only the few tasks already queued inside the long task's worker (its credits: at most
// 64) wait for it; everything else flows through the other worker meanwhile.
// Tiny tasks queue up to 1,024 deep in a worker; those behind a long task are withdrawn
// for the idle worker, so the long task holds up none of them.
TEST_P(PoolOnBothBackends, ALongTaskHoldsUpNoTaskQueuedBehindIt) {
    ringrun::testing::ScratchDir dir;
    Pool pool(options());
    auto slow = pool.submit("wait_for_file", dir.path("go"));
    std::atomic<size_t> ok{0};
    std::thread mapper([&] {
        pool.map("square", std::vector<std::string>(50'000, "3"),
                 [&](uint64_t, TaskResult& r) { ok += r.ok() && r.value == "9"; });
    });
    EXPECT_TRUE(
        ringrun::testing::poll_until([&] { return ok.load() == 50'000; }, std::chrono::seconds(60)))
        << ok.load();
    EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
    dir.write("go", "");
    mapper.join();
    EXPECT_EQ(ok.load(), 50'000u);
    EXPECT_EQ(slow.get(), "found");
}

TEST_P(PoolOnBothBackends, LargePayloadsTravelBothWays) {
    Pool pool(options());
    std::string big(8 << 20, 'x');
    for (size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>('a' + i % 26);
    EXPECT_EQ(pool.submit("echo", big).get(), big);
    // A small job, whose record the worker reads in place, with a big result.
    EXPECT_EQ(pool.submit("inflate", std::to_string(big.size())).get(), big);
    std::map<uint64_t, std::string> values;
    pool.map("inflate", std::vector<std::string>{"10", std::to_string(big.size()), "0"},
             [&](uint64_t i, TaskResult& r) { values[i] = std::move(r.value); });
    EXPECT_EQ(values, (std::map<uint64_t, std::string>{{0, big.substr(0, 10)}, {1, big}, {2, ""}}));
}

TEST_P(PoolOnBothBackends, TheStartHookRunsOncePerWorkerOnFirstUse) {
    ringrun::testing::ScratchDir dir;
    const std::string marker = dir.path("hook-ran");
    PoolOptions o = options();
    o.worker_start = [marker] {
        ++hook_runs;
        std::ofstream(marker, std::ios::app) << "x\n";
    };
    {
        Pool idle(o);  // no task: no hook
    }
    EXPECT_NE(::access(marker.c_str(), F_OK), 0);
    Pool pool(o);
    std::set<std::string> workers;
    pool.map("hook_report", std::vector<std::string>(2000, ""), [&](uint64_t, TaskResult& r) {
        ASSERT_TRUE(r.ok()) << r.error;
        EXPECT_EQ(r.value.substr(0, 2), "1 ") << r.value;
        workers.insert(r.value.substr(2));
    });
    pool.shutdown();
    EXPECT_EQ(ringrun::testing::lines_of(ringrun::testing::read_file(marker)).size(),
              workers.size());
}

TEST_P(PoolOnBothBackends, AThrowingStartHookFailsTheTaskAndIsTriedAgain) {
    auto attempts = std::make_shared<std::atomic<int>>(0);
    PoolOptions o = options(1);
    o.worker_start = [attempts] {
        if (attempts->fetch_add(1) == 0) throw std::runtime_error("model not found");
    };
    Pool pool(o);
    auto e = error_of(pool.submit("square", "2"));
    ASSERT_TRUE(e);
    EXPECT_NE(std::string(e->what()).find("start hook threw: model not found"), std::string::npos)
        << e->what();
    EXPECT_EQ(pool.submit("square", "2").get(), "4");
}

TEST_P(PoolOnBothBackends, CancelPendingCancelsWhatHasNotStartedAndThePoolGoesOn) {
    ringrun::testing::ScratchDir dir;
    Pool pool(options(1));
    auto running = pool.submit("announce_then_sleep", dir.path("running"));
    std::vector<std::future<std::string>> waiting;
    for (int i = 0; i < 100; ++i) waiting.push_back(pool.submit("square", "5"));
    ASSERT_TRUE(ringrun::testing::poll_until(
        [&] { return ::access(dir.path("running").c_str(), F_OK) == 0; },
        std::chrono::seconds(10)));
    pool.cancel_pending();
    EXPECT_EQ(running.get(), "slept");
    int cancelled = 0;
    for (auto& f : waiting) {
        try {
            f.get();
        } catch (const TaskError& e) {
            EXPECT_EQ(e.status(), TaskStatus::cancelled);
            ++cancelled;
        }
    }
    // Those already queued inside the worker may have run; the rest were cancelled.
    EXPECT_GE(cancelled, 90);
    EXPECT_EQ(pool.submit("square", "6").get(), "36");
}

TEST_P(PoolOnBothBackends, ShutdownDrainsOrCancelsAndThenRefusesWork) {
    Pool drained(options());
    auto a = drained.submit("sleep", "50");
    drained.shutdown();
    EXPECT_EQ(a.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_EQ(a.get(), "");
    EXPECT_THROW(drained.submit("noop", ""), std::logic_error);
    EXPECT_THROW(drained.apply("noop", ""), std::logic_error);
    drained.shutdown();  // again: nothing

    Pool cancelled(options(1));
    auto first = cancelled.submit("sleep", "200");
    std::vector<std::future<std::string>> rest;
    for (int i = 0; i < 50; ++i) rest.push_back(cancelled.submit("sleep", "200"));
    cancelled.shutdown(Pool::Shutdown::cancel);
    size_t ran = 0;
    for (auto& f : rest) {
        try {
            f.get();
            ++ran;
        } catch (const TaskError& e) {
            EXPECT_EQ(e.status(), TaskStatus::cancelled);
        }
    }
    EXPECT_LE(ran, 2u);
}

INSTANTIATE_TEST_SUITE_P(Backends, PoolOnBothBackends,
                         ::testing::Values(Backend::processes, Backend::threads),
                         [](const auto& info) {
                             return info.param == Backend::processes ? "processes" : "threads";
                         });

}  // namespace
