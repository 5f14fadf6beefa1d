// N ring pairs (a job ring and a result ring per worker slot) laid out in one block of
// memory: a shared segment for the process backend, private memory for threads.
// All result rings ring the same doorbell eventfd. Knows nothing of what the records mean.
#pragma once

#include <cstddef>
#include <vector>

#include "ipc/ring.hpp"

namespace ringrun::ipc {

struct RingSizes {
    size_t job_ring_bytes = 256 * 1024;
    size_t result_ring_bytes = 1024 * 1024;
};

class RingSet {
  public:
    static size_t footprint(size_t slots, const RingSizes& sizes);
    // Creates the rings in mem (64-byte aligned, footprint() bytes).
    RingSet(void* mem, size_t slots, const RingSizes& sizes, int doorbell_fd);

    size_t slots() const { return job_rings_.size(); }
    Ring& job_ring(size_t slot) { return job_rings_[slot]; }
    Ring& result_ring(size_t slot) { return result_rings_[slot]; }

  private:
    std::vector<Ring> job_rings_;
    std::vector<Ring> result_rings_;
};

}  // namespace ringrun::ipc
