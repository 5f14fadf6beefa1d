// What each worker slot is doing, published in a small shared mapping made before any
// fork, so that the supervisor and the orphan reaper can read it even after the worker
// died: the process group of the command it runs, and the job it runs and since when.
// Workers only store into their own slot; nothing here ever blocks or allocates after
// construction.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "ipc/robust_mutex.hpp"
#include "ipc/stderr_tail.hpp"

namespace ringrun::ipc {

struct alignas(64) SlotStatus {
    std::atomic<int32_t> command_group{0};  // pgid of the running command; 0: none
    // The job the worker runs, stored before it starts: a death is charged to it alone
    // (job_seq 0: none yet). Left as is after its result is committed, since that job is
    // then done and no job in flight matches; job_attempt tells its retries apart.
    std::atomic<uint64_t> job_seq{0};
    std::atomic<uint32_t> job_attempt{0};
    std::atomic<int64_t> job_start_ns{0};  // CLOCK_MONOTONIC when it started (timed jobs only)
    // Set by the supervisor when the run stops starting jobs (--halt, an interrupt):
    // jobs still queued in the worker come back cancelled instead of running.
    std::atomic<bool> stop_starting{false};
    // Set by a worker that retires on purpose (recycling) just before it exits cleanly:
    // its death is a retirement, not a crash. Cleared before its replacement is started.
    std::atomic<bool> retiring{false};
    // The worker process's pid, stored once it has set itself up and entered its loop:
    // a child forked from a program with other threads can be stuck for good on a lock
    // one of them held at the fork, and the supervisor replaces one that never says so.
    std::atomic<int32_t> started_pid{0};
    // The CPU the worker was on when it last ran out of jobs (-1: not known): a thread
    // that drives the loop itself (Pool::apply) hands its task to a worker on another
    // CPU where it can, since one sharing its CPU runs only when it yields (measured:
    // 5.6 µs a round trip instead of 1.2).
    std::atomic<int32_t> idle_cpu{-1};
    // The last bytes the running command wrote to stderr (cleared as each job is taken
    // up): what a job lost with its worker is reported with.
    StderrTail stderr_tail;
};

class SlotStatusTable {
  public:
    explicit SlotStatusTable(size_t slots);
    ~SlotStatusTable();
    SlotStatusTable(const SlotStatusTable&) = delete;
    SlotStatusTable& operator=(const SlotStatusTable&) = delete;

    size_t size() const { return slots_; }
    SlotStatus& operator[](size_t slot) { return table_[slot]; }

    // SIGKILLs the command group published for slot (if any) and forgets it.
    void kill_command_group(size_t slot);
    // The same for every slot. Async-signal-safe.
    void kill_command_groups();
    // Tells every slot's worker to start no more jobs.
    void stop_starting() {
        for (size_t slot = 0; slot < slots_; ++slot)
            table_[slot].stop_starting.store(true, std::memory_order_relaxed);
    }

    // Held by whoever writes job output straight to the run's stdout or stderr
    // (--line-buffer), so that lines from different workers never mix. Robust: a worker
    // dying while it writes leaves at worst a torn line, never a hang.
    RobustMutex& output_lock() { return *output_lock_; }

  private:
    size_t bytes() const;
    size_t slots_;
    SlotStatus* table_;
    RobustMutex* output_lock_;
};

int64_t monotonic_ns();

}  // namespace ringrun::ipc
