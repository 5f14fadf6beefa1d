// --memfree and --load: a StartGate closed while the machine has less memory available
// than asked, or a higher load average. Reads /proc/meminfo and the load at most every
// 100 ms, however often it is asked. Must never block.
#pragma once

#include <chrono>
#include <cstdint>

#include "runner/core/front_end_hooks.hpp"

namespace ringrun {

class MachineGate : public StartGate {
  public:
    // 0: that limit is not set.
    MachineGate(uint64_t min_free_bytes, double max_load)
        : min_free_bytes_(min_free_bytes), max_load_(max_load) {}
    bool open() override;
    std::chrono::milliseconds recheck_every() const override { return kRecheckEvery; }

  private:
    static constexpr std::chrono::milliseconds kRecheckEvery{100};
    uint64_t min_free_bytes_;
    double max_load_;
    std::chrono::steady_clock::time_point checked_{};
    bool open_ = true;
};

}  // namespace ringrun
