// The worker's main loop: pop a job from its job ring, run it, push its result into its
// result ring, until the supervisor closes the job ring. The same loop runs in a forked
// worker process and in a worker thread. It must never allocate in shared memory and
// never exit without pushing a result for a job it popped (unless it dies).
#pragma once

#include <cstdint>
#include <functional>

#include "ipc/message_record.hpp"
#include "ipc/ring.hpp"
#include "ipc/slot_status.hpp"
#include "worker/command_executor.hpp"
#include "worker/fault_injection.hpp"
#include "worker/task_clock.hpp"
#include "worker/task_registry.hpp"

namespace ringrun {

// What every worker of a run is configured with, whichever backend runs it.
// A worker retired on purpose (process workers only: a thread cannot give memory
// back): after this many jobs, or once its peak RSS passes this many KiB, it exits
// cleanly once that job's result is in. 0: never.
struct WorkerRecycling {
    uint64_t after_jobs = 0;
    uint64_t above_rss_kb = 0;
    bool enabled() const { return after_jobs != 0 || above_rss_kb != 0; }
};

struct WorkerSettings {
    CommandLimits commands;
    // Runs in the worker before its first in-process task (once per worker: per process,
    // or per thread), for expensive set-up that tasks share. If it throws, that task fails
    // with its message and the next task tries it again.
    std::function<void()> before_first_task;
    WorkerRecycling recycling;
};

struct WorkerContext {
    WorkerContext() = default;
    // A worker on slot, with its ring pair, spilling into spill_directory, calling the
    // process-wide task registry.
    WorkerContext(size_t slot, ipc::Ring job_ring, ipc::Ring result_ring,
                  const std::string& spill_directory);

    // How a backend sets up its worker: the run's settings, output files in the spill
    // directory (the run's), and its slot's entry and the output lock in status.
    void configure(const WorkerSettings& settings, ipc::SlotStatusTable& status);

    // Publishes this worker's job and command group in status.
    void attach_status(ipc::SlotStatus* slot_status) {
        status = slot_status;
        command_limits.running_group = slot_status ? &slot_status->command_group : nullptr;
    }

    uint32_t slot = 0;
    ipc::Ring job_ring;
    ipc::Ring result_ring;
    ipc::SpillDirectory spill{""};
    const TaskRegistry* tasks = nullptr;
    std::string last_task_name;  // the task looked up last, and what it was
    TaskFunction last_task = nullptr;
    CommandLimits command_limits;
    std::function<void()> before_first_task;  // cleared once it has succeeded
    // Where this slot publishes the job it runs and its command's process group (may be
    // null in unit tests).
    ipc::SlotStatus* status = nullptr;
    FaultPlan faults;  // tests only: see fault_injection.hpp
    WorkerRecycling recycling;
    uint64_t jobs_taken = 0;  // job records taken up (run, failed to decode, or cancelled)
    // A process of its own: a task's memory limit (RLIMIT_AS) is this worker's alone.
    bool own_process = false;
    // How long to spin for the next job before sleeping. Short: on a machine with as
    // many workers as cores, a spinning worker steals the supervisor's CPU (measured:
    // 5 µs beats both 1 µs, which sleeps too often, and 20 µs).
    std::chrono::nanoseconds idle_spin = std::chrono::microseconds(5);
    // Waiting for the next job: spins only while spinning pays (see adaptive_spin.hpp).
    ipc::AdaptiveSpin job_wait{std::chrono::microseconds(20)};
    // When the previous task ended, if this worker went straight on to the next (set
    // by the loop, 0 otherwise): that task starts then, which spares it a clock read.
    int64_t straight_on_from_ns = 0;
    TaskClock clock;  // tasks' start and end times
};

// Returns when the job ring is closed and empty, or when the worker retires (recycling):
// then status->retiring is set.
void run_worker_loop(WorkerContext& context);

// Runs one decoded job (a command or a task) and returns its result.
JobResult execute_job(const JobSpec& job, WorkerContext& context);

}  // namespace ringrun
