// Stopping: interrupts (the first lets running jobs finish, the second kills them), the
// front end's stop rule (--halt), timeouts of in-process tasks, and cancelling what has
// not started. Must never leave a job unreported: cancelled jobs are reported skipped.
#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "runner/core/supervisor.hpp"

namespace ringrun {

void Supervisor::begin_stop() {
    stopping_ = true;
    status_.stop_starting();
    scheduler_.drop_pending();
}

void Supervisor::handle_signal(int sig) {
    if (sig == SIGCHLD) {
        for (const auto& exit : workers_->reap()) handle_worker_exit(exit);
        return;
    }
    if (!stopping_) {
        // First interrupt: start nothing new, let what runs finish.
        stop_signal_ = sig;
        begin_stop();
        const char* msg =
            "ringrun: interrupted; waiting for running jobs (interrupt again to kill them)\n";
        (void)!::write(2, msg, std::strlen(msg));
        return;
    }
    // Second interrupt: kill everything now.
    stop_signal_ = sig;
    const char* msg = "ringrun: killed running jobs\n";
    (void)!::write(2, msg, std::strlen(msg));
    // Processes: kill and reap the workers, remove the segment. Threads cannot be
    // stopped mid-job: the process exits under them.
    workers_->kill_all();  // threads' commands too; the threads die with the process
    if (options_.backend == Backend::processes) workers_.reset();  // removes the segment
    _exit(kExitInterruptedBase + sig);
}

// Every job not yet handed to a worker: cancelled (exit_code 0: reported skipped), or
// failed with exit_code and why.
void Supervisor::cancel_pending(int exit_code, const std::string& why) {
    for (QueuedJob* job : scheduler_.take_pending()) {
        if (exit_code == 0) {
            cancel_unstarted(*job);
            continue;
        }
        fail_unrun(*job, exit_code, why);
        scheduler_.retire(*job);
    }
}

// A job taken out of the queues that will not start now: reported skipped.
void Supervisor::cancel_unstarted(QueuedJob& job) {
    if (!report_.job_skipped(job.seq, job.inputs)) {
        output_closed_ = true;
        begin_stop();
    }
    scheduler_.retire(job);
}

// In-process tasks cannot be interrupted: one that overruns its timeout gets its worker
// SIGKILLed, and handle_worker_exit reports it as timed out. So does a command whose
// worker did not end it by its timeout and a backstop (the worker is stopped or stuck;
// the command's group is killed with it). The job a worker runs is the oldest it holds
// (it runs them in order).
void Supervisor::check_task_timeouts() {
    const int64_t now = ipc::monotonic_ns();
    for (size_t slot = 0; slot < lives_.size(); ++slot) {
        if (!lives_[slot].up || lives_[slot].timed_out_seq != 0) continue;
        uint64_t seq = status_[slot].job_seq.load(std::memory_order_acquire);
        const QueuedJob* running = scheduler_.oldest_in_flight(slot);
        if (seq == 0 || !running || running->seq != seq || running->task_timeout_ms == 0) continue;
        const int64_t limit = static_cast<int64_t>(running->task_timeout_ms) * 1'000'000;
        if (now - status_[slot].job_start_ns.load(std::memory_order_relaxed) <= limit) continue;
        lives_[slot].timed_out_seq = seq;
        lives_[slot].timed_out_backstop = running->timeout_is_backstop;
        if (workers_->pid(slot) > 0) kill(workers_->pid(slot), SIGKILL);
    }
}

// The front end's stop rule (--halt): once it orders a stop, nothing new starts, and
// with kill_running what runs is killed.
void Supervisor::check_stop_rule(const QueuedJob& job, const JobResult& result) {
    stop_order_ =
        hooks_.stop_rule->after_job(tally(), job.seq, result.worker_slot, job.inputs, result);
    if (!stop_order_) return;
    begin_stop();
    kill_for_stop();
}

// A stop that kills what runs (--halt now). Repeated while jobs remain (the loop wakes
// for it), as a worker may have started one just before it saw the stop.
void Supervisor::kill_for_stop() {
    if (!killing_for_stop()) return;
    status_.kill_command_groups();
    if (command_.is_task())
        for (size_t slot = 0; slot < workers_->slots(); ++slot)
            if (workers_->pid(slot) > 0 && scheduler_.in_flight(slot) > 0)
                kill(workers_->pid(slot), SIGKILL);
}

}  // namespace ringrun
