// The time-stamp counter read against CLOCK_REALTIME.
// Must never measure the counter's rate from a pairing with CLOCK_REALTIME that was
// interrupted, nor across a step of CLOCK_REALTIME.
#include "worker/task_clock.hpp"

#include <cmath>
#include <fstream>
#include <string>

#include "worker/job.hpp"

#if defined(__x86_64__)
#include <x86intrin.h>
#define RINGRUN_TASK_CLOCK_TSC 1
#endif

namespace ringrun {
namespace {

constexpr int64_t kAnchorEveryNs = 100'000;
// A clock_gettime takes about a hundred ticks: a pairing that took more than this was
// interrupted (preempted, or a slow exit to the hypervisor), and says nothing of the rate.
constexpr uint64_t kMaxPairingTicks = 20'000;
// Consecutive rates must agree to this: a step of CLOCK_REALTIME between two anchors (by
// NTP, or by hand) must not be taken for a rate. Slewing changes it by 0.05% at most.
constexpr double kRateTolerance = 0.001;
// Rates rejected in a row before the new one is believed (the old was the wrong one).
constexpr int kRejectionsBeforeRemeasure = 3;

}  // namespace

bool tsc_keeps_kernel_time() {
#ifdef RINGRUN_TASK_CLOCK_TSC
    static const bool tsc = [] {
        std::ifstream source("/sys/devices/system/clocksource/clocksource0/current_clocksource");
        std::string name;
        return source >> name && name == "tsc";
    }();
    return tsc;
#else
    return false;
#endif
}

#ifdef RINGRUN_TASK_CLOCK_TSC

int64_t TaskClock::now_ns() {
    if (!use_tsc_) return realtime_ns();
    const uint64_t elapsed = __rdtsc() - anchor_tsc_;  // a counter behind the anchor: huge
    int64_t ns =
        ns_per_tick_ > 0 && elapsed < reanchor_ticks_
            ? anchor_ns_ + static_cast<int64_t>(static_cast<double>(elapsed) * ns_per_tick_)
            : anchor();
    // Re-anchoring may land a few ns before the last extrapolated reading; a real step
    // back of CLOCK_REALTIME is larger, and followed.
    if (ns < last_ns_ && last_ns_ - ns < kAnchorEveryNs) ns = last_ns_;
    last_ns_ = ns;
    return ns;
}

int64_t TaskClock::anchor() {
    const uint64_t before = __rdtsc();
    const int64_t ns = realtime_ns();
    const uint64_t after = __rdtsc();
    if (after - before > kMaxPairingTicks) return ns;
    const uint64_t tsc = before + (after - before) / 2;
    if (anchor_ns_ != 0 && tsc > anchor_tsc_ && ns > anchor_ns_) {
        const int64_t span_ns = ns - anchor_ns_;
        // Measuring: the first anchor stays until the span is long enough.
        if (ns_per_tick_ == 0 && span_ns < kAnchorEveryNs) return ns;
        const double rate = static_cast<double>(span_ns) / static_cast<double>(tsc - anchor_tsc_);
        if (ns_per_tick_ == 0 || std::abs(rate / ns_per_tick_ - 1) < kRateTolerance ||
            ++rejections_ >= kRejectionsBeforeRemeasure) {
            ns_per_tick_ = rate;
            rejections_ = 0;
        }
    }
    anchor_tsc_ = tsc;
    anchor_ns_ = ns;
    if (ns_per_tick_ > 0)
        reanchor_ticks_ = static_cast<uint64_t>(static_cast<double>(kAnchorEveryNs) / ns_per_tick_);
    return ns;
}

#else

int64_t TaskClock::now_ns() {
    return realtime_ns();
}

#endif

}  // namespace ringrun
