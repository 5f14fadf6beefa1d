// How long a waiter spins before it sleeps, learned from how its own recent spins ended.
// A spin pays only while the other side runs on another CPU and answers within it. On a
// shared machine the other side is often descheduled: the spins run out, and after two
// that did the waiter blocks at once, leaving the CPU to whoever has work (the other side
// included). Every 16th wait then spins briefly, to learn when spinning pays again.
// Never yields in a loop: sched_yield hands the core to a CPU hog for a whole time slice.
// One waiter's state: not for several threads at once.
#pragma once

#include <chrono>
#include <cstdint>

namespace ringrun::ipc {

class AdaptiveSpin {
  public:
    explicit AdaptiveSpin(std::chrono::nanoseconds longest) : longest_(longest) {}

    // How long the next wait may spin; 0: sleep at once. peer_awake false (the other side
    // is itself asleep, so nothing can come within a spin) means 0.
    std::chrono::nanoseconds next_budget(bool peer_awake = true) {
        if (!peer_awake) return {};
        if (wasted_in_a_row_ < kWastedToStop) return longest_;
        return ++waits_since_probe_ % kProbeEvery == 0 ? longest_ / 4 : std::chrono::nanoseconds{};
    }
    // How the spin of a non-zero budget ended: answered within it, or run out.
    void spin_ended(bool answered) {
        if (answered) {
            wasted_in_a_row_ = 0;
            waits_since_probe_ = 0;
        } else if (wasted_in_a_row_ < kWastedToStop) {
            ++wasted_in_a_row_;
        }
    }
    bool spinning() const { return wasted_in_a_row_ < kWastedToStop; }

  private:
    static constexpr uint32_t kWastedToStop = 2;
    static constexpr uint32_t kProbeEvery = 16;
    std::chrono::nanoseconds longest_;
    uint32_t wasted_in_a_row_ = 0;
    uint32_t waits_since_probe_ = 0;
};

}  // namespace ringrun::ipc
