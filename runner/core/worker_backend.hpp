// What the supervisor needs from its workers, whichever backend runs them: a ring pair
// per slot, starting and replacing workers, learning of their deaths, and stopping them.
// The process backend forks; the threads backend runs the same loop on threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <ringrun/backend.hpp>
#include <vector>

#include "ipc/message_record.hpp"
#include "ipc/ring.hpp"
#include "ipc/slot_status.hpp"
#include "worker/command_executor.hpp"
#include "worker/worker_loop.hpp"

namespace ringrun {

struct WorkerExit {
    size_t slot;
    pid_t pid;
    int wait_status;          // as from waitpid
    int64_t peak_rss_kb = 0;  // the worker's own peak RSS (wait4's ru_maxrss)
};

class WorkerBackend {
  public:
    virtual ~WorkerBackend() = default;
    virtual size_t slots() const = 0;
    virtual ipc::Ring& job_ring(size_t slot) = 0;
    virtual ipc::Ring& result_ring(size_t slot) = 0;
    // Where records too big for slot's rings travel.
    virtual ipc::SpillDirectory& spill(size_t slot) = 0;
    virtual void start(size_t slot) = 0;
    // Forks slot's next worker ahead of time, to wait until start(slot) lets it go, so
    // that a worker retired on purpose is replaced without a fork in between (process
    // workers; others have nothing to prepare).
    virtual void prepare(size_t /*slot*/) {}
    // Collects workers that have exited (never blocks). Empty for threads.
    virtual std::vector<WorkerExit> reap() = 0;
    // Closes every job ring and waits until timeout for workers to finish, then kills.
    virtual void stop(std::chrono::milliseconds timeout) = 0;
    // Kills every worker now (SIGKILL), and the commands they run. Threads cannot be
    // killed: only their commands are.
    virtual void kill_all() = 0;
    virtual pid_t pid(size_t slot) const = 0;
};

// doorbell_fd: the eventfd every result ring rings; status: where each slot's worker
// publishes its job and command group (outlives the backend); settings: how workers run
// commands (termseq, output mode; the backend adds its run directory) and their start hook.
std::unique_ptr<WorkerBackend> make_worker_backend(Backend backend, size_t slots, int doorbell_fd,
                                                   ipc::SlotStatusTable& status,
                                                   const WorkerSettings& settings);
// Both at once (a pipeline whose jobs ask for both): process slots first, then thread
// slots; status has process_slots + thread_slots entries.
std::unique_ptr<WorkerBackend> make_mixed_workers(size_t process_slots, size_t thread_slots,
                                                  int doorbell_fd, ipc::SlotStatusTable& status,
                                                  const WorkerSettings& settings);

}  // namespace ringrun
