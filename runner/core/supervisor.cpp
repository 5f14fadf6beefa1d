// The supervisor's event loop, as one state machine: a turn gathers results, reads input
// and dispatches; idle, the loop spins briefly on the result rings, then sleeps in epoll
// having told every result ring to ring the doorbell. What a turn does lives beside it:
// supervisor_dispatch.cpp, supervisor_results.cpp, supervisor_worker_deaths.cpp,
// supervisor_stopping.cpp, and embedded, supervisor_loan.cpp (another thread runs turns).
#include "runner/core/supervisor.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "ipc/futex_word.hpp"

namespace ringrun {
namespace {

constexpr auto kSpinBeforeSleep = std::chrono::microseconds(20);
// Jobs longer than this on average: the supervisor sleeps at once instead of spinning,
// since a result is not coming within the spin, and the spin's CPU is taken from the
// jobs themselves (measured: 3% of the CPU of a run of `true` commands).
constexpr double kSpinWorthwhileBelowNs = 200'000;
// How often a loop that never idles looks for events anyway (check_events_while_busy).
constexpr auto kBusyEventsEvery = std::chrono::milliseconds(1);

}  // namespace

Supervisor::Supervisor(SupervisorOptions options, const JobBuilder& command, InputSource& input,
                       JobSink& report, FrontEndHooks hooks)
    : options_(std::move(options)),
      command_(command),
      input_(input),
      report_(report),
      hooks_(std::move(hooks)),
      events_(std::make_unique<LoopEvents>(options_.embedded, options_.slots())),
      status_(options_.slots()),
      workers_(nullptr),
      scheduler_(options_.slots(), options_.thread_slots > 0 ? options_.workers : SIZE_MAX),
      dispatched_(options_.slots(), false),
      faulted_(options_.slots(), false),
      lives_(options_.slots()),
      held_results_(options_.slots()),
      job_batch_(kDispatchBatch),
      record_sizes_(kDispatchBatch),
      record_compact_(kDispatchBatch),
      compact_batch_(kDispatchBatch),
      write_slots_(kDispatchBatch),
      result_wait_(options_.embedded ? 5 * kSpinBeforeSleep : kSpinBeforeSleep) {
    if (!options_.embedded) reaper_.emplace(status_);  // before the workers: see reaper_
    const WorkerSettings settings{options_.command_settings, hooks_.before_first_task,
                                  options_.recycling};
    const int doorbell = events_->doorbell().fd();
    workers_ =
        options_.thread_slots > 0
            ? make_mixed_workers(options_.workers, options_.thread_slots, doorbell, status_,
                                 settings)
            : make_worker_backend(options_.backend, options_.workers, doorbell, status_, settings);
    // Gated starts: a job is handed over only when its worker is free, so that the gate
    // decides when it starts. A stop rule (--halt) too: a job must not start before the
    // result that stops the run is seen.
    if (options_.start_delay.count() > 0 || hooks_.start_gate || hooks_.stop_rule)
        scheduler_.set_credit_cap(1);
}

// Destroying workers_ kills and reaps anything still running and removes the segment.
Supervisor::~Supervisor() = default;

int Supervisor::run() {
    std::unique_lock loop(loop_mutex_);  // let go only to sleep, or to yield in the spin
    struct Running {                     // ends (under the lock) however run() ends
        bool& flag;
        ~Running() { flag = false; }
    } running{loop_running_};
    for (size_t slot = 0; slot < workers_->slots(); ++slot) start_worker(slot);
    loop_running_ = true;
    if (hooks_.on_workers_started) hooks_.on_workers_started();
    // The spin watches for what a turn can take: committed results, and input while the
    // window has room. (Watching for results merely reserved, or for input the window
    // has no room for, sent the loop to sleep in epoll thousands of times a second under
    // load: the turn it ended found nothing to do.) A record a dead worker never
    // committed keeps nobody spinning, so the loop reaches epoll and learns of the
    // death; if what the spin saw still gave no progress, the next idle turn goes
    // straight to wait_for_events.
    bool spun_in_vain = false;
    auto next_busy_check = Clock::now() + kBusyEventsEvery;
    while (!finished()) {
        if (hooks_.progress) hooks_.progress->update(tally(), scheduler_.in_flight_total());
        const bool progress = turn();
        if (progress) {
            spun_in_vain = false;
            if (const auto now = Clock::now(); now >= next_busy_check) {
                check_events_while_busy();
                next_busy_check = now + kBusyEventsEvery;
            }
        }
        // A borrower waiting while the loop is busy (Pool::map's caller) gets it at the
        // end of this turn: the caller's submissions and results then stay on its core.
        if (progress && loans_wanted_.load(std::memory_order_relaxed) > 0 && yield_loop(loop)) {
            tend_workers();
            continue;
        }
        if (progress || finished()) continue;
        bool lent = false;  // the spin ended in a sleep while a borrower ran the loop
        // Spins only while spinning pays (adaptive_spin.hpp): on a shared machine the
        // workers are often descheduled, and a spin would take the CPU they need.
        const auto budget = !spun_in_vain && tasks_are_short() ? result_wait_.next_budget()
                                                               : std::chrono::nanoseconds{};
        if (budget.count() > 0) {
            const auto until = Clock::now() + budget;
            bool ready = false;
            while (!ready && !lent && Clock::now() < until) {
                for (int i = 0; i < 32 && !ready; ++i) {
                    ready = results_waiting() || input_waiting();
                    if (loans_wanted_.load(std::memory_order_relaxed) > 0) break;
                    ipc::cpu_relax();
                }
                if (!ready && options_.embedded) lent = yield_loop(loop);
            }
            if (!lent) result_wait_.spin_ended(ready);
            spun_in_vain = ready;
            if (ready) continue;
        }
        spun_in_vain = false;
        if (!lent) wait_for_events(loop);
        tend_workers();
    }
    workers_->stop(std::chrono::seconds(5));
    if (!report_.finish()) output_closed_ = true;
    if (hooks_.progress) {
        JobTally end = tally();
        end.total = next_seq_;
        hooks_.progress->finish(end);
    }
    if (options_.stats) {
        stats_.restarts = restarts();
        std::string report = stats_.report();
        (void)!::write(2, report.data(), report.size());
    }
    if (stop_signal_) return kExitInterruptedBase + stop_signal_;
    if (output_closed_) return kExitOutputClosed;
    if (restart_limit_hit_) return kExitRestartLimit;
    if (stop_order_) return stop_order_->exit_code;
    return static_cast<int>(std::min<uint64_t>(failed_, kExitMaxFailed));
}

bool Supervisor::turn() {
    if (scheduler_.delayed_count() > 0) scheduler_.release_due(Clock::now());
    bool progress = gather();
    if (progress) report_.flush();
    progress |= read_input();
    progress |= dispatch();
    if (shortest_task_timeout_ms_ > 0) check_task_timeouts();
    check_worker_starts();
    return progress;
}

bool Supervisor::tasks_are_short() const {
    return scheduler_.mean_runtime_ns() < kSpinWorthwhileBelowNs;
}

bool Supervisor::finished() const {
    bool no_more_input = stopping_ || input_.exhausted();
    return no_more_input && !scheduler_.has_pending() && scheduler_.delayed_count() == 0 &&
           scheduler_.in_flight_total() == 0;
}

bool Supervisor::read_input() {
    bool progress = false;
    if (input_.take_cancel_request()) cancel_pending(0, "");
    while (!stopping_ && scheduler_.pending_count() < options_.input_window) {
        QueuedJob& job = scheduler_.draft();  // not queued (kept for the next) unless runnable
        if (input_.next(job.inputs)) {
            job.seq = ++next_seq_;
            progress = true;
            if (!options_.skip_seqs.empty() && options_.skip_seqs.count(job.seq)) {
                // --resume: done in an earlier run.
                if (!report_.job_skipped(job.seq, job.inputs)) {
                    output_closed_ = true;
                    begin_stop();
                }
                continue;
            }
            if (std::string why = command_.rejected(job.inputs); !why.empty()) {
                fail_unrun(job, 2, why);
                continue;
            }
            job.lane = options_.thread_slots > 0 && command_.runs_on_threads(job.inputs) ? 1 : 0;
            scheduler_.enqueue_draft();
            continue;
        }
        if (input_.exhausted() || input_.fd() < 0) break;
        if (!input_pollable_ || input_readable_) {
            input_readable_ = false;
            input_.fill();  // one read: the fd was readable, or is a file
            continue;
        }
        if (!input_armed_) {
            input_pollable_ = events_->arm_input(input_.fd());
            input_armed_ = input_pollable_;
            if (!input_pollable_) continue;
        }
        break;
    }
    return progress;
}

// How long the event loop may sleep: until the next replacement is due, or the next
// task-timeout check, and never more than the safety wake.
int Supervisor::wait_timeout_ms() const {
    auto wait = std::chrono::milliseconds(kSafetyWakeMs);
    const auto now = Clock::now();
    for (const SlotLife& life : lives_)
        if (!life.up && life.died_ns != 0 && !stopping_)
            wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(
                                      std::max(life.restart_due - now, Clock::duration(0))));
    if (shortest_task_timeout_ms_ > 0 && scheduler_.in_flight_total() > 0)
        wait = std::min(wait, std::chrono::milliseconds(
                                  std::clamp<uint64_t>(shortest_task_timeout_ms_ / 4, 1, 100)));
    auto until = [&](Clock::time_point t) {
        return std::chrono::ceil<std::chrono::milliseconds>(std::max(t - now, Clock::duration(0)));
    };
    if (auto due = scheduler_.next_due()) wait = std::min(wait, until(*due));
    if (scheduler_.has_pending() && !stopping_) {
        // A gate (--delay, the front end's: --memfree, --load) may open without an event.
        if (options_.start_delay.count() > 0)
            wait = std::min(wait, until(last_start_ + options_.start_delay));
        if (hooks_.start_gate) wait = std::min(wait, hooks_.start_gate->recheck_every());
    }
    if (hooks_.progress) wait = std::min(wait, hooks_.progress->interval());
    if (unconfirmed_workers_ > 0)  // check_worker_starts
        wait = std::min(wait, std::chrono::milliseconds(100));
    if (killing_for_stop()) wait = std::min(wait, std::chrono::milliseconds(20));
    return static_cast<int>(wait.count());
}

bool Supervisor::results_waiting() {
    for (size_t slot = 0; slot < workers_->slots(); ++slot) {
        // A faulty worker's results are never read: the loop waits for its exit instead.
        if (faulted_[slot]) continue;
        ipc::Ring& ring = workers_->result_ring(slot);
        const auto& last = held_results_[slot].last;
        // Committed records only: one reserved by a worker that died before committing it
        // must not keep the loop from sleeping and learning of that death.
        if ((last ? ring.try_peek_after(*last) : ring.try_peek()).has_value()) return true;
    }
    return false;
}

bool Supervisor::input_waiting() const {
    return !stopping_ && input_.available() && scheduler_.pending_count() < options_.input_window;
}

// Before the loop's thread sleeps: hands over what was gathered, then asks every result
// ring and the input to wake it, and checks once more (after a full fence) that nothing
// came before it asked. False if something did: no sleeping then.
bool Supervisor::prepare_to_sleep() {
    report_.flush();
    for (size_t slot = 0; slot < workers_->slots(); ++slot) release_results(slot);
    for (size_t slot = 0; slot < workers_->slots(); ++slot)
        workers_->result_ring(slot).set_consumer_waiting(true);
    input_.set_consumer_sleeping(true);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return !results_waiting() && !input_waiting();
}

// Awake again: workers and submitters need not ring.
void Supervisor::clear_wake_requests() {
    for (size_t slot = 0; slot < workers_->slots(); ++slot)
        workers_->result_ring(slot).set_consumer_waiting(false);
    input_.set_consumer_sleeping(false);
}

void Supervisor::wait_for_events(std::unique_lock<std::mutex>& loop) {
    struct epoll_event events[8];
    const bool sleep = prepare_to_sleep();
    int n = 0;
    if (sleep) {
        const int timeout_ms = wait_timeout_ms();
        loop.unlock();  // a borrower may run the loop meanwhile
        n = sleep_unlocked(loop, events, timeout_ms);
    }
    handle_events(events, n, sleep && n == 0);
}

// Busy without a pause (a stream of short jobs), the loop still hears of a worker's exit
// or a signal, and forks a replacement that is due, within kBusyEventsEvery, not once the
// stream runs dry: epoll is asked without waiting.
void Supervisor::check_events_while_busy() {
    struct epoll_event events[8];
    const int n = events_->wait(events, 8, 0);
    if (n > 0) handle_events(events, n, false);
    tend_workers();
}

// After events, or in their stead: forks the replacements that are due and stops the
// jobs that must stop (both on timers as well as events).
void Supervisor::tend_workers() {
    start_due_workers();
    kill_for_stop();
}

// Awake again (the wake requests are withdrawn): what epoll reported. quiet: it timed out.
void Supervisor::handle_events(const struct epoll_event* events, int n, bool quiet) {
    clear_wake_requests();
    if (quiet && options_.embedded)  // woken by time: no exit may go unnoticed
        for (const auto& exit : workers_->reap()) handle_worker_exit(exit);
    for (int i = 0; i < n; ++i) {
        switch (events[i].data.u64) {
            case kDoorbell:
                events_->doorbell().drain();
                break;
            case kInput:
                input_armed_ = false;
                input_readable_ = true;
                break;
            case kSignals:
                while (int sig = events_->next_signal()) handle_signal(sig);
                break;
            default:  // kWorkerExit + slot (embedded). Reaping may also find others; the
                      // events of those are then stale, and find nothing to reap.
                for (const auto& exit : workers_->reap()) handle_worker_exit(exit);
                break;
        }
    }
}

JobTally Supervisor::tally() const {
    JobTally t;
    t.succeeded = succeeded_;
    t.failed = failed_;
    t.total = input_.exhausted() ? next_seq_ : 0;
    t.running = scheduler_.in_flight_total();
    return t;
}

}  // namespace ringrun
