// A worker's death: salvaging the results it committed, requeuing or failing the jobs
// it held, and replacing it under the restart intensity limit (as Erlang/OTP's
// supervisors). Must never blame a job for a death it was not inside.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "runner/core/supervisor.hpp"

namespace ringrun {
namespace {

// A worker process that has not entered its loop by then is stuck after its fork.
constexpr auto kWorkerStartTimeout = std::chrono::seconds(5);

// One line's worth on how a worker ended: a clean exit, an exit code, a crash signal, or
// SIGKILL (what the OOM killer sends).
std::string describe_exit(int status) {
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGKILL) return "was killed by SIGKILL (the OOM killer's signal, or kill -9)";
        return std::string("crashed with SIG") + sigabbrev_np(sig) + " (" + strsignal(sig) + ")" +
               (WCOREDUMP(status) ? ", core dumped" : "");
    }
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) == 0) return "exited while the run still needed it";
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    return "stopped";
}

}  // namespace

void Supervisor::handle_worker_exit(const WorkerExit& exit) {
    const size_t slot = exit.slot;
    SlotLife& life = lives_[slot];
    life.up = false;
    if (!life.confirmed) {  // died before it said it started
        life.confirmed = true;
        --unconfirmed_workers_;
    }
    events_->unwatch_exit(slot);
    status_.kill_command_group(slot);  // its command must not outlive it
    // The job it had started (if it was still in flight): the only one to blame.
    const uint64_t running_seq = status_[slot].job_seq.exchange(0, std::memory_order_acquire);
    const uint32_t running_attempt = status_[slot].job_attempt.load(std::memory_order_relaxed);
    gather_slot(slot);  // salvage every complete result it left
    auto lost = scheduler_.take_in_flight(slot);
    // Retired on purpose (recycling) and gone cleanly: not a crash, nothing to blame.
    const bool retired = status_[slot].retiring.load(std::memory_order_acquire) &&
                         WIFEXITED(exit.wait_status) && WEXITSTATUS(exit.wait_status) == 0 &&
                         life.timed_out_seq == 0 && life.faulted_seq == 0;
    // Killed for a broken result: that job is to blame, whatever the worker went on to.
    auto was_running = [&](const QueuedJob& job) {
        if (life.faulted_seq != 0) return job.seq == life.faulted_seq;
        return (job.seq == running_seq && job.attempt == running_attempt) ||
               job.seq == life.timed_out_seq;
    };
    if (!retired && (!stopping_ || exit.wait_status != 0)) {
        std::string line = "ringrun: worker " + std::to_string(slot + 1) + " (pid " +
                           std::to_string(exit.pid) + ") ";
        line += life.timed_out_backstop ? "was killed: it had not ended its command on "
                                          "--timeout (stopped or stuck)"
                : life.timed_out_seq    ? "was killed: its task overran --timeout"
                : life.start_timed_out  ? "was killed: it had not started 5 s after its fork "
                                          "(stuck on a lock held at the fork?)"
                                        : describe_exit(exit.wait_status);
        const auto blamed = std::find_if(lost.begin(), lost.end(),
                                         [&](const QueuedJob* job) { return was_running(*job); });
        if (blamed != lost.end()) line += " while running job " + std::to_string((*blamed)->seq);
        if (const size_t others = lost.size() - (blamed != lost.end()); others > 0)
            line += "; " + std::to_string(others) +
                    (others == 1 ? " other job it held is requeued"
                                 : " other jobs it held are requeued");
        line += "\n";
        (void)!::write(2, line.data(), line.size());
    }
    // Back in their order, first in the queue; jobs it held but had not started keep
    // their attempt, and their isolation or not.
    for (auto it = lost.rbegin(); it != lost.rend(); ++it) {
        if (!retired && was_running(**it)) {
            retire_lost_job(**it, slot, exit);
        } else if (stopping_) {
            cancel_unstarted(**it);
        } else {
            ++stats_.requeued;
            scheduler_.requeue_first(**it);
        }
    }
    life.timed_out_seq = 0;
    life.timed_out_backstop = false;
    life.faulted_seq = 0;
    life.start_timed_out = false;
    held_results_[slot] = HeldResults{};
    workers_->job_ring(slot).reset();  // repairs a mutex its owner died holding
    workers_->result_ring(slot).reset();
    faulted_[slot] = false;
    if (retired) {
        ++stats_.recycled;
        if (!stopping_) replace_retired_worker(slot);
    } else if (!stopping_) {
        schedule_restart(slot);
    }
}

// A worker retired on purpose is replaced at once (by its standby, forked ahead), and
// never counts towards the restart limit.
void Supervisor::replace_retired_worker(size_t slot) {
    lives_[slot].died_ns = 0;
    lives_[slot].quick_deaths = 0;
    start_worker(slot);
    lives_[slot].jobs_done = 0;
}

// The job a dead worker was running: retried alone (attempt + 1, a suspect) while
// attempts remain, otherwise reported lost; the task it was killed for overrunning is
// reported timeout.
void Supervisor::retire_lost_job(QueuedJob& job, size_t slot, const WorkerExit& exit) {
    const int wait_status = exit.wait_status;
    const uint32_t attempts = std::max(options_.lost_attempts, options_.retries);
    JobResult result;
    result.id = job.seq;
    result.attempt = job.attempt;
    result.worker_slot = static_cast<uint32_t>(slot);
    if (job.seq == lives_[slot].timed_out_seq) {
        result.status = JobStatus::timeout;
        if (job.timeout_is_backstop)
            result.error_text =
                "timed out after " + std::to_string(job.task_timeout_ms - command_backstop_ms()) +
                " ms, and its worker had not ended it " + std::to_string(command_backstop_ms()) +
                " ms later (stopped or stuck): the command and its worker "
                "were killed, and the worker replaced";
        else
            result.error_text = "timed out after " + std::to_string(job.task_timeout_ms) +
                                " ms; its worker was killed and replaced";
        finish_job(job, result);
        scheduler_.retire(job);
        return;
    }
    if (job.attempt < attempts && !stopping_ &&
        (cause_bit(JobStatus::lost) & options_.retry_causes) &&
        command_.retries_cause(job.inputs, JobStatus::lost)) {
        ++job.attempt;
        ++stats_.retried;
        job.suspect = true;
        scheduler_.requeue_first(job);
        return;
    }
    result.status = JobStatus::lost;
    result.signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    result.core_dumped = WIFSIGNALED(wait_status) && WCOREDUMP(wait_status);
    result.max_rss_kb = exit.peak_rss_kb;
    result.error_text = "failed: its worker " + describe_exit(wait_status) + " (attempt " +
                        std::to_string(job.attempt) + " of " + std::to_string(attempts) + ")";
    if (exit.peak_rss_kb > 0)
        result.error_text += "; the worker's peak RSS was " +
                             std::to_string((exit.peak_rss_kb + 512) / 1024) + " MiB";
    const std::string stderr_tail = status_[slot].stderr_tail.last_lines(3);
    if (!stderr_tail.empty()) result.error_text += "; its last stderr: " + stderr_tail;
    finish_job(job, result);
    scheduler_.retire(job);
}

// Restart intensity (as Erlang/OTP's supervisors): more than max_restarts within
// restart_window stops the run. A slot whose workers keep dying before finishing a
// job gets its replacement later and later (10 ms doubling to 1 s), so a crash loop
// does not eat the machine.
void Supervisor::schedule_restart(size_t slot) {
    const auto now = Clock::now();
    recent_restarts_.push_back(now);
    SlotLife& life = lives_[slot];
    life.died_ns = realtime_ns();
    if (!restarts_allowed(now)) return;
    const bool quick = life.jobs_done == 0 && now - life.started < std::chrono::seconds(1);
    life.quick_deaths = quick ? life.quick_deaths + 1 : 0;
    const auto delay =
        life.quick_deaths <= 1
            ? std::chrono::milliseconds(0)
            : std::min(
                  std::chrono::milliseconds(1000),
                  std::chrono::milliseconds(10 << std::min<uint32_t>(life.quick_deaths - 2, 7)));
    life.restart_due = now + delay;
    start_due_workers();
}

// Whether the restarts within the window are still within --max-restarts. When they are
// not, a command-line run stops; an embedded one fails what waits and starts the
// replacements when the oldest restart has left the window.
bool Supervisor::restarts_allowed(Clock::time_point now) {
    while (!recent_restarts_.empty() && recent_restarts_.front() < now - options_.restart_window)
        recent_restarts_.pop_front();
    if (options_.max_restarts != 0 && recent_restarts_.size() > options_.max_restarts) {
        if (options_.embedded) {
            const auto due = recent_restarts_.front() + options_.restart_window;
            for (SlotLife& life : lives_)
                if (!life.up) life.restart_due = std::max(life.restart_due, due);
            if (!restart_limit_hit_) {
                char line[200];
                std::snprintf(line, sizeof line,
                              "ringrun: %zu worker restarts within %.0f s; waiting tasks fail, "
                              "and workers are replaced again in %.1f s\n",
                              recent_restarts_.size(), options_.restart_window.count() / 1000.0,
                              std::chrono::duration<double>(due - now).count());
                (void)!::write(2, line, std::strlen(line));
            }
            restart_limit_hit_ = true;
            cancel_pending(kExitRestartLimit,
                           "not run: workers died faster than the restart "
                           "limit allows");
            return false;
        }
        char line[256];
        std::snprintf(line, sizeof line,
                      "ringrun: %zu worker restarts within %.0f s (--max-restarts %zu "
                      "--restart-window %.0f); stopping: no new jobs start, running ones finish\n",
                      recent_restarts_.size(), options_.restart_window.count() / 1000.0,
                      options_.max_restarts, options_.restart_window.count() / 1000.0);
        (void)!::write(2, line, std::strlen(line));
        restart_limit_hit_ = true;
        begin_stop();
        return false;
    }
    if (options_.embedded) restart_limit_hit_ = false;  // back within the limit
    return true;
}

void Supervisor::start_worker(size_t slot) {
    status_[slot].started_pid.store(0, std::memory_order_relaxed);  // before the fork
    status_[slot].retiring.store(false, std::memory_order_relaxed);
    workers_->start(slot);
    lives_[slot].jobs_sent = 0;
    events_->watch_exit(slot, workers_->pid(slot));
    lives_[slot].up = true;
    lives_[slot].confirmed = workers_->pid(slot) <= 0;  // threads need no confirming
    unconfirmed_workers_ += !lives_[slot].confirmed;
    lives_[slot].started = Clock::now();
    // Its successor, forked now while this one works, lets a retirement skip the fork.
    if (options_.recycling.enabled() && workers_->pid(slot) > 0) workers_->prepare(slot);
}

// A worker process that never entered its loop (stuck on a lock another thread of this
// program held when it was forked: the library's hazard, or the sanitizers' allocator)
// is killed, and its death handled as any other: its jobs are retried elsewhere.
void Supervisor::check_worker_starts() {
    if (unconfirmed_workers_ == 0) return;  // the usual case: nothing to look at
    for (size_t slot = 0; slot < lives_.size(); ++slot) {
        SlotLife& life = lives_[slot];
        if (!life.up || life.confirmed) continue;
        const pid_t pid = workers_->pid(slot);
        if (status_[slot].started_pid.load(std::memory_order_acquire) == pid) {
            life.confirmed = true;
            --unconfirmed_workers_;
        } else if (!life.start_timed_out && Clock::now() - life.started > kWorkerStartTimeout) {
            life.start_timed_out = true;
            kill(pid, SIGKILL);
        }
    }
}

void Supervisor::start_due_workers() {
    if (stopping_) return;
    const auto now = Clock::now();
    for (size_t slot = 0; slot < lives_.size(); ++slot) {
        SlotLife& life = lives_[slot];
        if (life.up || life.died_ns == 0 || now < life.restart_due) continue;
        start_worker(slot);
        restarts_.fetch_add(1, std::memory_order_relaxed);
        life.jobs_done = 0;
    }
}

}  // namespace ringrun
