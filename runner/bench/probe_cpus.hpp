// The CPUs the bench's machine probes run on (runner/core_round_trip.*,
// runner/core_loop_speed.*): the first of those the calling thread may use, and pinning
// a probe's own thread to one. Must never change the affinity of any other thread.
#pragma once

#include <cstddef>
#include <vector>

namespace ringrun {

// The first count CPUs the calling thread may run on, in CPU order (fewer if it may run
// on fewer; none if its affinity cannot be read).
std::vector<int> first_allowed_cpus(size_t count);
// Pins the calling thread to cpu. False if it cannot be (a confined caller): an answer
// for a probe (no figure), not an error.
bool pin_calling_thread_to(int cpu);

}  // namespace ringrun
