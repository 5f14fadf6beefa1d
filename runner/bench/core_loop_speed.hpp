// How fast each of the first two CPUs runs a fixed loop of multiplications right now. On
// a shared or virtual machine the figure rises while the host gives part of a core to
// something else, and every rate measured then falls with it (docs/design-notes.md,
// "Where the host puts the two cores"). Measured by threads of its own pinned to each
// CPU in turn; it must never pin the calling thread.
#pragma once

#include <vector>

namespace ringrun {

// Nanoseconds per iteration of the loop (the median of a few short runs) on each of the
// first two CPUs the calling thread may run on, in CPU order; a CPU whose thread cannot
// be pinned gives no figure.
std::vector<double> core_loop_ns();

}  // namespace ringrun
