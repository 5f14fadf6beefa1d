// The clock a worker stamps its tasks' start and end with (CLOCK_REALTIME, in ns). A
// clock_gettime costs about 30 ns on this project's VMs, a fifth of what a no-op task
// costs a worker; reading the CPU's time-stamp counter costs about 12. Where the kernel
// itself keeps time by that counter (clocksource "tsc": invariant, and the same on every
// CPU), the clock reads it, scaled by a rate measured against CLOCK_REALTIME and
// re-anchored to CLOCK_REALTIME every 100 us; elsewhere it is clock_gettime every time.
// Must never go backwards from one reading to the next (unless CLOCK_REALTIME itself is
// set back), nor stray from CLOCK_REALTIME by more than the drift of one anchoring
// interval (nanoseconds).
#pragma once

#include <cstdint>

namespace ringrun {

// Whether the kernel keeps time by the time-stamp counter (read once per process).
bool tsc_keeps_kernel_time();

class TaskClock {
  public:
    explicit TaskClock(bool use_tsc = tsc_keeps_kernel_time()) : use_tsc_(use_tsc) {}
    int64_t now_ns();

  private:
    int64_t anchor();  // a CLOCK_REALTIME reading, made the anchor when it can be trusted

    bool use_tsc_;
    uint64_t anchor_tsc_ = 0;
    int64_t anchor_ns_ = 0;
    double ns_per_tick_ = 0;  // 0 until measured
    uint64_t reanchor_ticks_ = 0;
    int rejections_ = 0;   // rates rejected in a row
    int64_t last_ns_ = 0;  // the last reading: none is earlier than it
};

}  // namespace ringrun
