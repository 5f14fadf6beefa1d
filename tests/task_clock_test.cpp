// TaskClock: read from the time-stamp counter or from clock_gettime, it tells the time
// CLOCK_REALTIME tells (within a few microseconds, across its measuring and its
// re-anchoring) and never goes backwards.
#include "worker/task_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "worker/job.hpp"

namespace ringrun {
namespace {

// Reads clock for a few milliseconds (its rate is measured over the first 100 us and it
// re-anchors every 100 us), each reading between two CLOCK_REALTIME readings.
void expect_tracks_realtime(TaskClock& clock) {
    constexpr int64_t kSlackNs = 50'000;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
    int64_t last = 0;
    int readings = 0;
    while (std::chrono::steady_clock::now() < until) {
        const int64_t before = realtime_ns();
        const int64_t now = clock.now_ns();
        const int64_t after = realtime_ns();
        ASSERT_GE(now, before - kSlackNs) << "reading " << readings;
        ASSERT_LE(now, after + kSlackNs) << "reading " << readings;
        ASSERT_GE(now, last) << "reading " << readings;
        last = now;
        ++readings;
    }
    EXPECT_GT(readings, 100);
}

TEST(TaskClock, ByClockGettimeTellsRealtime) {
    TaskClock clock(false);
    expect_tracks_realtime(clock);
}

TEST(TaskClock, ByTheTimeStampCounterTellsRealtime) {
    TaskClock clock(true);  // where there is none, clock_gettime again
    expect_tracks_realtime(clock);
}

TEST(TaskClock, AfterAnIdleSpellItIsAnchoredAgain) {
    TaskClock clock(tsc_keeps_kernel_time());
    expect_tracks_realtime(clock);
    const auto idle_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3);
    while (std::chrono::steady_clock::now() < idle_until) {
    }
    const int64_t before = realtime_ns();
    const int64_t now = clock.now_ns();
    EXPECT_GE(now, before - 50'000);
    EXPECT_LE(now, realtime_ns() + 50'000);
}

}  // namespace
}  // namespace ringrun
