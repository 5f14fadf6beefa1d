// What a bench cell's processes use together: this process (every thread) and its child
// processes (the pool's workers and what they run). Read from /proc without allocating,
// so that a sampler thread may call it while another thread forks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringrun {

// Proportional set size of the tree, in bytes (a segment every worker maps counts once).
uint64_t memory_of_process_tree();

// CPU time (user + system) of the tree so far, in seconds: this process, its reaped
// children and its live ones, whichever spent it.
double cpu_seconds_of_process_tree();

}  // namespace ringrun
