// How long a cache line takes to go from one core to another and back on this machine:
// the price of every hand-over between the supervisor, its workers and the caller, and
// on a virtual machine a figure the host changes under us (docs/design-notes.md,
// "Spells"). Measured by two threads of its own pinned to two CPUs; it must never pin
// the calling thread, nor spin past its deadline when a CPU is not given to it.
#pragma once

#include <optional>

namespace ringrun {

// The median round trip, in nanoseconds, of one atomic word bounced between the first
// two CPUs the calling thread may run on; nullopt when it may run on only one, when a
// thread cannot be pinned, or when the host did not run both within a second.
std::optional<double> core_round_trip_ns();

}  // namespace ringrun
