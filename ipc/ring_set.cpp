// Layout of ring pairs in one memory block. Each ring starts on a 64-byte boundary so
// that no two rings share a cache line.
#include "ipc/ring_set.hpp"

namespace ringrun::ipc {
namespace {
size_t aligned64(size_t n) {
    return (n + 63) / 64 * 64;
}
}  // namespace

size_t RingSet::footprint(size_t slots, const RingSizes& sizes) {
    return slots * (aligned64(Ring::footprint(sizes.job_ring_bytes)) +
                    aligned64(Ring::footprint(sizes.result_ring_bytes)));
}

RingSet::RingSet(void* mem, size_t slots, const RingSizes& sizes, int doorbell_fd) {
    auto* p = static_cast<std::byte*>(mem);
    for (size_t k = 0; k < slots; ++k) {
        job_rings_.push_back(Ring::create(p, sizes.job_ring_bytes));
        p += aligned64(Ring::footprint(sizes.job_ring_bytes));
        result_rings_.push_back(Ring::create(p, sizes.result_ring_bytes, doorbell_fd));
        p += aligned64(Ring::footprint(sizes.result_ring_bytes));
    }
}

}  // namespace ringrun::ipc
