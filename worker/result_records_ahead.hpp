// Result records reserved ahead: a worker going from task to task reserves the records
// of its next few compact results under one lock of its result ring instead of one
// lock per result. Each lock and unlock waits for the record lines just written to
// reach the supervisor's core; with a lock per result that was the worker's largest
// cost. Results are still committed one by one, the moment they exist.
// Must never let a record reserved another way overtake one reserved ahead: give_back()
// commits those left as skipped records first.
#pragma once

#include <array>
#include <cstddef>
#include <optional>

#include "ipc/ring.hpp"

namespace ringrun {

class ResultRecordsAhead {
  public:
    explicit ResultRecordsAhead(ipc::Ring& ring) : ring_(ring) {}

    // A reserved record of at least bytes: the next one reserved ahead, or the first of
    // a new batch sized for bytes. nullopt if the ring has no room now.
    std::optional<ipc::WriteSlot> take(size_t bytes);
    // Commits the records still reserved ahead as skipped (the supervisor steps over
    // them), so that the next record is reserved after them.
    void give_back();

  private:
    static constexpr size_t kAhead = 8;
    ipc::Ring& ring_;
    std::array<size_t, kAhead> sizes_{};
    std::array<ipc::WriteSlot, kAhead> slots_{};
    size_t next_ = 0;
    size_t count_ = 0;
};

}  // namespace ringrun
