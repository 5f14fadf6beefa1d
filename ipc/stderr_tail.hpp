// The last bytes a worker's running command wrote to stderr, kept in the worker's slot
// of the shared slot table: when a worker dies with a command running, the output it had
// captured dies with it, and this is what is left to report the job's failure with.
// Written only by the slot's worker, read only once that worker is gone (or between
// jobs); must never allocate or block on the write side.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ringrun::ipc {

class StderrTail {
  public:
    static constexpr size_t kBytes = 448;

    void clear() { written_.store(0, std::memory_order_relaxed); }
    void append(const char* data, size_t size);
    // Up to max_lines last lines of what was kept, joined with " | ", without a partial
    // first line when older bytes were dropped.
    std::string last_lines(size_t max_lines) const;

  private:
    std::atomic<uint64_t> written_{0};  // bytes appended since the last clear
    char bytes_[kBytes];                // bytes_[i % kBytes] holds byte i
};

}  // namespace ringrun::ipc
