// The library on processes: ringrun::Pool's crash recovery, timeouts, restart limit and
// lifetime, through the installed interface only (this test links libringrun.so and
// includes nothing but <ringrun/...>). On threads a crash would take this test down,
// which is what the threads backend means (ringrun bench shows it in a child).
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

// Crashes the first time it runs with a given marker path (the marker survives the crash).
std::string crash_once(std::string_view marker) {
    if (::access(std::string(marker).c_str(), F_OK) != 0) {
        std::ofstream(std::string(marker)) << "crashed\n";
        ::raise(SIGSEGV);
    }
    return "survived";
}
RINGRUN_TASK(crash_once);

// "crash_once <marker>" crashes as crash_once does; any other payload comes back as it is.
std::string echo_or_crash_once(std::string_view payload) {
    constexpr std::string_view kCrash = "crash_once ";
    if (payload.starts_with(kCrash)) return crash_once(payload.substr(kCrash.size()));
    return std::string(payload);
}
RINGRUN_TASK(echo_or_crash_once);

std::string always_crash(std::string_view) {
    ::raise(SIGKILL);
    return {};
}
RINGRUN_TASK(always_crash);

PoolOptions process_options(size_t workers = 2) {
    PoolOptions o;
    o.workers = workers;
    return o;
}

TEST(PoolOnProcesses, ACrashedWorkerIsReplacedAndItsTaskRetried) {
    ringrun::testing::ScratchDir dir;
    Pool pool(process_options());
    std::vector<std::future<std::string>> around;
    for (int i = 0; i < 200; ++i) around.push_back(pool.submit("square", std::to_string(i)));
    auto crashing = pool.submit("crash_once", dir.path("marker"));
    for (int i = 0; i < 200; ++i) around.push_back(pool.submit("square", std::to_string(i)));
    EXPECT_EQ(crashing.get(), "survived");
    for (size_t i = 0; i < around.size(); ++i)
        EXPECT_EQ(around[i].get(), std::to_string((i % 200) * (i % 200)));
    EXPECT_GE(pool.stats().worker_restarts, 1u);
}

// map()'s caller drives the loop while results stream in, yet a worker that crashes
// meanwhile is replaced by the pool's thread at once (the caller gives the loop back when
// that thread has events), not only once the stream runs dry.
TEST(PoolOnProcesses, AWorkerCrashingDuringAStreamingMapIsReplacedWhileTheMapGoesOn) {
    ringrun::testing::ScratchDir dir;
    Pool pool(process_options(2));
    constexpr size_t kTasks = 300'000, kCrashAt = 1'000;
    const std::string crash = "crash_once " + dir.path("marker");
    size_t results = 0, wrong = 0, after_the_restart = 0;
    std::vector<std::string> payloads(kTasks, "x");
    payloads[kCrashAt] = crash;
    pool.map("echo_or_crash_once", payloads, [&](uint64_t index, TaskResult& r) {
        ++results;
        wrong += !r.ok() || r.value != (index == kCrashAt ? "survived" : "x");
        after_the_restart += pool.stats().worker_restarts > 0;
    });
    EXPECT_EQ(results, kTasks);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(pool.stats().worker_restarts, 1u);
    EXPECT_GT(after_the_restart, kTasks / 10);
}

// With one worker, the replacement must be forked while apply() drives the loop: apply
// gives the loop back, so that the fork happens on the pool's own thread.
TEST(PoolOnProcesses, ApplyOutlivesItsOnlyWorkerCrashing) {
    ringrun::testing::ScratchDir dir;
    PoolOptions o = process_options(1);
    o.retries = 2;
    Pool pool(o);
    EXPECT_EQ(pool.apply("square", "2"), "4");
    EXPECT_EQ(pool.apply("crash_once", dir.path("marker")), "survived");
    auto e = apply_error(pool, "always_crash", "");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status(), TaskStatus::lost);
    EXPECT_EQ(e->attempts(), 3u);
    EXPECT_EQ(pool.apply("square", "3"), "9");
    EXPECT_GE(pool.stats().worker_restarts, 4u);
}

// Workers dying before they finish a job are replaced after a growing delay, by the
// pool's thread, which a stream of applies from another thread keeps lending the loop.
TEST(PoolOnProcesses, ReplacementsAreForkedWhileAppliesKeepTheLoopBusy) {
    PoolOptions o = process_options(2);
    o.retries = 2;
    Pool pool(o);
    std::atomic<bool> stop{false};
    std::atomic<size_t> wrong{0};
    std::thread applier([&] {
        while (!stop.load()) wrong += pool.apply("square", "3") != "9";
    });
    auto e = apply_error(pool, "always_crash", "");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status(), TaskStatus::lost);
    EXPECT_TRUE(ringrun::testing::poll_until([&] { return pool.stats().worker_restarts == 3; },
                                             std::chrono::seconds(10)));
    stop.store(true);
    applier.join();
    EXPECT_EQ(wrong.load(), 0u);
}

TEST(PoolOnProcesses, ApplyOfAnOverrunningTaskTimesOut) {
    PoolOptions o = process_options(1);
    o.timeout = std::chrono::milliseconds(100);
    Pool pool(o);
    auto e = apply_error(pool, "sleep", "5000");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status(), TaskStatus::timeout);
    EXPECT_EQ(pool.apply("square", "8"), "64");
}

TEST(PoolOnProcesses, ATaskThatAlwaysCrashesFailsAfterItsLastAttemptAndThePoolStaysUsable) {
    PoolOptions o = process_options();
    o.retries = 2;
    Pool pool(o);
    auto e = error_of(pool.submit("always_crash", ""));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status(), TaskStatus::lost);
    EXPECT_EQ(e->attempts(), 3u);
    EXPECT_NE(std::string(e->what()).find("SIGKILL"), std::string::npos) << e->what();
    EXPECT_EQ(pool.submit("square", "7").get(), "49");
    // A worker dying before its first task is replaced after a growing delay.
    EXPECT_TRUE(ringrun::testing::poll_until([&] { return pool.stats().worker_restarts == 3; },
                                             std::chrono::seconds(10)));
}

TEST(PoolOnProcesses, AnOverrunningTaskTimesOutAndItsWorkerIsReplaced) {
    PoolOptions o = process_options(1);
    o.timeout = std::chrono::milliseconds(100);
    Pool pool(o);
    auto e = error_of(pool.submit("sleep", "5000"));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status(), TaskStatus::timeout);
    EXPECT_EQ(pool.submit("square", "8").get(), "64");
}

TEST(PoolOnProcesses, TheRestartLimitFailsWaitingTasksButThePoolRecovers) {
    PoolOptions o = process_options(1);
    o.retries = 0;
    o.max_restarts = 2;
    o.restart_window = std::chrono::milliseconds(500);
    Pool pool(o);
    std::vector<std::future<std::string>> crashes;
    for (int i = 0; i < 3; ++i) crashes.push_back(pool.submit("always_crash", ""));
    for (auto& f : crashes) EXPECT_THROW(f.get(), TaskError);
    // Replacement waits for the window; then work runs again.
    EXPECT_EQ(pool.submit("square", "9").get(), "81");
}

// Entries of a directory whose names start with prefix.
size_t entries_starting_with(const char* dir, const std::string& prefix) {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        n += e.path().filename().string().rfind(prefix, 0) == 0;
    return n;
}

TEST(PoolLifetime, ManyPoolsLeaveNoDescriptorSegmentOrProcessBehind) {
    const std::string mine = "ringrun." + std::to_string(::getpid()) + ".";  // kSegmentPrefix
    const size_t fds = entries_starting_with("/proc/self/fd", "");
    for (int i = 0; i < 60; ++i) {
        PoolOptions o;
        o.workers = 2;
        o.backend = i % 2 ? Backend::threads : Backend::processes;
        Pool pool(o);
        EXPECT_EQ(pool.submit("square", "5").get(), "25");
        if (i % 20 == 0) {  // on processes (i even): a crash and its replacements too
            EXPECT_THROW(pool.submit("always_crash", "").get(), TaskError);
        }
    }
    EXPECT_EQ(entries_starting_with("/proc/self/fd", ""), fds);
    EXPECT_EQ(entries_starting_with("/dev/shm", mine), 0u);
    EXPECT_TRUE(ringrun::testing::children_of(::getpid()).empty());
}

TEST(PoolOnProcesses, ThePoolLeavesTheProgramsSignalsAndChildrenAlone) {
    sigset_t before, after;
    pthread_sigmask(SIG_SETMASK, nullptr, &before);
    struct sigaction chld_before {};
    sigaction(SIGCHLD, nullptr, &chld_before);
    ringrun::testing::ScratchDir dir;
    pid_t mine = fork();
    if (mine == 0) _exit(7);
    {
        Pool pool(process_options());
        EXPECT_EQ(pool.submit("crash_once", dir.path("m")).get(), "survived");
        EXPECT_EQ(pool.submit("square", "2").get(), "4");
    }
    int status = 0;
    ASSERT_EQ(waitpid(mine, &status, 0), mine);  // the pool did not reap it
    EXPECT_EQ(WEXITSTATUS(status), 7);
    pthread_sigmask(SIG_SETMASK, nullptr, &after);
    for (int sig : {SIGINT, SIGTERM, SIGCHLD})
        EXPECT_EQ(sigismember(&before, sig), sigismember(&after, sig)) << sig;
    struct sigaction chld_after {};
    sigaction(SIGCHLD, nullptr, &chld_after);
    EXPECT_EQ(chld_before.sa_handler, chld_after.sa_handler);
}

}  // namespace