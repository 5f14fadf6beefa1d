// The supervisor: one event loop (epoll) over the result doorbell, child exits and
// interrupts (signalfd) and the input stream. It feeds jobs to workers by credits,
// gathers their results, replaces dead workers and requeues what they held.
// It must never block anywhere but in epoll_wait (or, embedded, on the loop's mutex while
// a borrower runs a few turns: see borrow_loop), and never lose a finished job's result.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <vector>

#include "ipc/message_record.hpp"
#include "ipc/slot_status.hpp"
#include "runner/core/exit_codes.hpp"
#include "runner/core/front_end_hooks.hpp"
#include "runner/core/input_source.hpp"
#include "runner/core/job_builder.hpp"
#include "runner/core/job_sink.hpp"
#include "runner/core/loop_events.hpp"
#include "runner/core/orphan_reaper.hpp"
#include "runner/core/run_statistics.hpp"
#include "runner/core/scheduler.hpp"
#include "runner/core/worker_backend.hpp"
#include "worker/task_record.hpp"

namespace ringrun {

// What the core needs to run: workers, attempts, timeouts, restart limits. Front ends'
// own policies (--memfree, --load, --halt, progress, the library's hooks) come in as
// FrontEndHooks.
struct SupervisorOptions {
    size_t workers = 1;
    Backend backend = Backend::processes;
    // A pipeline mixing backends: this many thread workers besides the `workers` process
    // workers (backend is then processes); jobs the builder puts on threads go there.
    size_t thread_slots = 0;
    size_t slots() const { return workers + thread_slots; }
    uint32_t retries = 1;               // --retries: attempts for a job that fails
    uint8_t retry_causes = kAllCauses;  // --retry-on: which causes of failure are retried
    uint32_t lost_attempts = 3;         // attempts for a job whose worker keeps dying under it
    uint64_t timeout_ms = 0;            // --timeout; 0: none
    double timeout_percent = 0;         // --timeout N%: of the median runtime of successful jobs
    // Restart intensity: more than max_restarts replacements within restart_window stop
    // the run (0: no limit).
    size_t max_restarts = 50;
    std::chrono::milliseconds restart_window{10'000};
    std::chrono::milliseconds retry_delay{0};  // --retry-delay: first wait before a retry
    std::chrono::milliseconds start_delay{0};  // --delay: between job starts
    // Every job's memory limit (--memory-limit) unless the builder gives one; 0: none.
    uint64_t memory_limit = 0;
    // Process workers retired on purpose (--max-tasks-per-worker, --max-worker-memory).
    WorkerRecycling recycling;
    bool stats = false;                      // --stats: print RunStatistics on stderr at the end
    size_t input_window = 4096;              // jobs read ahead of dispatch, at most
    CommandLimits command_settings;          // how workers run commands (termseq, output mode)
    std::unordered_set<uint64_t> skip_seqs;  // --resume: jobs already done, reported skipped
    // Inside another program (the library's Pool), on a thread of its own: the supervisor
    // leaves the process's signals alone (worker exits come through pidfds, interrupts
    // are the program's business), forks no orphan reaper (tasks run no commands of
    // ringrun's), and a broken restart limit fails the jobs waiting instead of ending
    // the run, which goes on once the restart window has room again.
    bool embedded = false;
};

class Supervisor {
  public:
    Supervisor(SupervisorOptions options, const JobBuilder& command, InputSource& input,
               JobSink& report, FrontEndHooks hooks = {});
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Runs every job; returns the process exit code.
    int run();
    // Workers replaced so far (any thread may ask).
    uint64_t restarts() const { return restarts_.load(std::memory_order_relaxed); }

    // Embedded (Pool::apply, Pool::map): lends the loop to the calling thread, which runs its
    // turns itself (turn) while run()'s thread sleeps in epoll, so that a task's
    // round trip skips two hand-offs between threads. run()'s thread lets go of it at the
    // end of a turn. False, with nothing taken, if it did not within a few microseconds
    // (a long turn: leave the work to it) or the loop has ended.
    // The borrower never sleeps and never forks: replacing a worker is left to run()'s
    // thread, which the workers' death signal follows (PR_SET_PDEATHSIG).
    bool borrow_loop();
    // One turn of the loop, by run()'s thread or a borrower holding the loop: gathers,
    // reads input, dispatches; never sleeps, never forks. True if anything moved.
    bool turn();
    // Gives the loop back, waking run()'s thread at once if anything needs it.
    void return_loop();
    // Under the loop: whether tasks are short enough (by their mean run time) that
    // spinning for the next result beats sleeping until it comes.
    bool tasks_are_short() const;
    // A borrower that holds the loop for long (Pool::map's caller) says so first and
    // when it is done, and runs its own code between turns (callbacks that may wait on
    // the pool) stepped away from the loop: free for others to take, though nobody is
    // woken for it, and run()'s thread, asleep meanwhile, looks every millisecond
    // whether the borrower has been away for long. Stepping back is false if someone else
    // has the loop then (borrow it again, or wait).
    void begin_long_loans();
    void end_long_loans();
    void step_away_from_loop();
    bool step_back_to_loop();
    // True once run()'s thread has events only it handles (a worker's exit, a timer):
    // give the loop back soon.
    bool loop_wanted_back() const { return loop_wanted_back_.load(std::memory_order_relaxed); }

  private:
    using Clock = std::chrono::steady_clock;
    // The longest the loop sleeps without looking around.
    static constexpr int kSafetyWakeMs = 1000;
    bool read_input();
    bool dispatch();
    bool dispatch_to(size_t slot, size_t max_jobs, int64_t now_ns);  // now_ns: realtime
    bool dispatch_by_copy(size_t slot, const JobSpec& job);
    void fail_first_pending(size_t slot, const std::string& why);
    void fail_unrun(const QueuedJob& job, int exit_code, const std::string& why);
    bool gather();
    bool gather_slot(size_t slot);
    void release_results(size_t slot);
    void handle_result(size_t slot, const std::string& decode_error, JobResult& result);
    void handle_worker_exit(const struct WorkerExit& exit);
    void retire_lost_job(QueuedJob& job, size_t slot, const struct WorkerExit& exit);
    void replace_retired_worker(size_t slot);
    void schedule_restart(size_t slot);
    void start_worker(size_t slot);
    void start_due_workers();
    bool restarts_allowed(Clock::time_point now);
    void cancel_pending(int exit_code, const std::string& why);
    void cancel_unstarted(QueuedJob& job);
    void check_task_timeouts();
    void check_worker_starts();
    int wait_timeout_ms() const;
    void finish_job(const QueuedJob& job, JobResult& result);
    void check_stop_rule(const QueuedJob& job, const JobResult& result);
    bool killing_for_stop() const { return stop_order_ && stop_order_->kill_running; }
    void kill_for_stop();
    JobTally tally() const;
    bool may_start_jobs();
    uint64_t job_timeout_ms() const;
    uint64_t task_timeout_of(size_t slot, const JobSpec& job);
    uint64_t task_timeout_of(size_t slot, uint64_t timeout_ms);  // of a task
    uint64_t command_backstop_ms() const;
    // Notes where a job dispatched to a worker went, and tells the start listener, if any.
    void handed_out(QueuedJob& job, ipc::RecordHeader* record, uint16_t record_flags);
    bool holds_a_long_job(size_t slot, int64_t now_ns) const;
    void withdraw_stranded_jobs();
    size_t describe_batch_job(size_t slot, size_t i, uint64_t timeout_ms, size_t max_bytes);
    void handle_signal(int signal);
    void begin_stop();
    bool finished() const;
    bool results_waiting();      // committed results not yet read, of sound workers
    bool input_waiting() const;  // input that read_input would take now
    bool prepare_to_sleep();
    void clear_wake_requests();
    bool yield_loop(std::unique_lock<std::mutex>& loop);
    bool take_loan_locked();
    int sleep_unlocked(std::unique_lock<std::mutex>& loop, struct epoll_event* events,
                       int timeout_ms);
    void take_loop_back(std::unique_lock<std::mutex>& loop);
    void reclaim_loop();
    void check_events_while_busy();
    void tend_workers();
    void wait_for_events(std::unique_lock<std::mutex>& loop);
    void handle_events(const struct epoll_event* events, int n, bool quiet);

    SupervisorOptions options_;
    const JobBuilder& command_;
    InputSource& input_;
    JobSink& report_;
    FrontEndHooks hooks_;
    std::unique_ptr<LoopEvents> events_;
    ipc::SlotStatusTable status_;
    // Forked before the workers, so it holds none of their fds; none when embedded.
    std::optional<OrphanReaper> reaper_;
    std::unique_ptr<WorkerBackend> workers_;
    Scheduler scheduler_;
    std::vector<bool> dispatched_;  // dispatch(): the slots given jobs this turn
    std::vector<bool> faulted_;     // slots whose worker broke the protocol and is being killed
    struct SlotLife {               // one slot's worker, across its replacements
        bool up = false;
        Clock::time_point started;
        Clock::time_point restart_due;    // when down: when to fork its replacement
        uint64_t jobs_done = 0;           // by the current worker
        uint64_t jobs_sent = 0;           // to the current worker (recycling counts them)
        uint32_t quick_deaths = 0;        // consecutive deaths with no job done, under 1 s old
        uint64_t timed_out_seq = 0;       // the task job it was killed for overrunning
        bool timed_out_backstop = false;  // ... or the command it did not end on time
        uint64_t faulted_seq = 0;         // the job whose result it broke the protocol on
        bool confirmed = false;           // a process worker: it said it started
        bool start_timed_out = false;     // killed for not starting
        int64_t died_ns = 0;              // when its predecessor's death was handled (realtime)
    };
    std::vector<SlotLife> lives_;
    std::deque<Clock::time_point> recent_restarts_;
    bool restart_limit_hit_ = false;
    std::atomic<uint64_t> restarts_{0};
    size_t unconfirmed_workers_ = 0;  // process workers not yet known to have started
    RunStatistics stats_;
    struct HeldResults {  // result records read but not yet released, per slot
        std::optional<ipc::ReadSlot> last;
        uint32_t count = 0;
    };
    std::vector<HeldResults> held_results_;
    static constexpr size_t kDispatchBatch = 64;          // jobs reserved under one ring lock
    static constexpr double kLongJobAfterNs = 3'000'000;  // see holds_a_long_job
    std::vector<JobSpec> job_batch_;                      // reused: each keeps its buffers
    std::vector<size_t> record_sizes_;
    std::vector<char> record_compact_;           // whether job i goes as compact_batch_[i]
    std::vector<CompactJobView> compact_batch_;  // viewing its inputs, or job_batch_[i]
    std::vector<ipc::WriteSlot> write_slots_;
    JobResult result_scratch_;     // reused for every result
    ipc::MessageScratch scratch_;  // first segment reused for every job message
    uint64_t next_seq_ = 0;
    uint64_t failed_ = 0;
    uint64_t succeeded_ = 0;
    std::optional<StopOrder> stop_order_;  // given by the front end's StopRule (--halt)
    DurationHistogram ok_run_time_;        // --timeout N%
    Clock::time_point last_start_{};       // --delay
    bool input_armed_ = false;
    bool input_readable_ = false;
    bool input_pollable_ = true;
    bool stopping_ = false;
    int stop_signal_ = 0;
    bool output_closed_ = false;
    ipc::AdaptiveSpin result_wait_;          // how long the idle loop spins for results
    uint64_t shortest_task_timeout_ms_ = 0;  // of the tasks dispatched; 0: none
    // Held by whichever thread runs the loop: run()'s, or a borrower's (embedded). Every
    // member above is touched only under it.
    std::mutex loop_mutex_;
    std::atomic<bool> loop_lent_{false};
    std::atomic<uint32_t> loans_wanted_{0};           // borrowers waiting for the loop
    std::atomic<bool> loop_wanted_back_{false};       // run()'s thread, woken while it is lent
    std::atomic<int64_t> borrower_away_since_ns_{0};  // 0: not stepped away
    std::atomic<uint32_t> long_borrowers_{0};
    bool loop_running_ = false;
    uint64_t loans_ = 0;
    int borrower_cpu_ = -1;  // on loan: the CPU the borrower was on when it took the loop
};

}  // namespace ringrun
