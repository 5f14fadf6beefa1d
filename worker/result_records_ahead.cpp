// Batches of result records reserved ahead, handed out in ring order.
#include "worker/result_records_ahead.hpp"

#include "ipc/message_record.hpp"

namespace ringrun {

std::optional<ipc::WriteSlot> ResultRecordsAhead::take(size_t bytes) {
    if (next_ < count_) {
        if (slots_[next_].size >= bytes) return slots_[next_++];
        give_back();  // this result outgrew them: a new batch, sized for it
    }
    // Sized to whole cache lines with the record's header, so that consecutive records
    // never share a line: the supervisor reads one while this worker writes the next.
    const size_t line_bytes = (ipc::Ring::kHeaderBytes + bytes + 63) / 64 * 64;
    const size_t slot_bytes = line_bytes - ipc::Ring::kHeaderBytes <= ring_.max_payload()
                                  ? line_bytes - ipc::Ring::kHeaderBytes
                                  : bytes;
    sizes_.fill(slot_bytes);
    count_ = ring_.try_reserve_many(sizes_, slots_);
    next_ = 0;
    if (count_ == 0) return std::nullopt;
    return slots_[next_++];
}

void ResultRecordsAhead::give_back() {
    for (; next_ < count_; ++next_) ring_.commit(slots_[next_], ipc::kSkippedRecord, false);
    next_ = count_ = 0;
}

}  // namespace ringrun
