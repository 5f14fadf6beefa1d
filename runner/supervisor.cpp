// The supervisor's event loop. Spins briefly on the result rings, then sleeps in epoll
// having told every result ring to ring the doorbell. Worker deaths are learnt from
// SIGCHLD through a signalfd (never inside a signal handler), or embedded from pidfds.
// Embedded, another thread may run the loop's turns while this one sleeps (the loan).
#include "runner/supervisor.hpp"

#include <capnp/message.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ipc/doorbell.hpp"
#include "ipc/futex_word.hpp"
#include "ipc/system_call.hpp"
#include "worker/job_codec.hpp"
#include "worker/task_record.hpp"

namespace ringrun {
namespace {

// Worker exits (embedded) are tagged kWorkerExit + slot.
enum EventTag : uint64_t { kDoorbell = 1, kSignals = 2, kInput = 3, kWorkerExit = 16 };
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(20);
// Jobs longer than this on average: the supervisor sleeps at once instead of spinning,
// since a result is not coming within the spin, and the spin's CPU is taken from the
// jobs themselves (measured: 3% of the CPU of a run of `true` commands).
constexpr double kSpinWorthwhileBelowNs = 200'000;
constexpr int kSafetyWakeMs = 1000;
// How often run()'s thread, asleep while a borrower drives the loop for long, looks
// whether the loop is free (sleep_unlocked).
constexpr int kLentLookEveryMs = 1;
// A borrower stepped away from the loop for longer than this may be waiting on it.
constexpr int64_t kAwayTooLongNs = 1'000'000;
// How often a loop that never idles looks for events anyway (check_events_while_busy).
constexpr auto kBusyEventsEvery = std::chrono::milliseconds(1);
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

// The machine's available memory (MemAvailable), in bytes.
uint64_t available_memory() {
    FILE* f = std::fopen("/proc/meminfo", "re");
    if (!f) return UINT64_MAX;
    char line[256];
    unsigned long kb = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f))
        found = std::sscanf(line, "MemAvailable: %lu kB", &kb) == 1;
    std::fclose(f);
    return found ? uint64_t{kb} * 1024 : UINT64_MAX;
}

}  // namespace

// The kernel-facing side of the loop: signal mask, signalfd, epoll and the doorbell.
// Embedded, it touches no signal: worker exits come through a pidfd per worker.
class Supervisor::Events {
  public:
    explicit Events(bool embedded, size_t slots) : exit_fds_(slots, -1) {
        epoll_fd_ = sys::checked("epoll_create1", "supervisor",
                                 [] { return epoll_create1(EPOLL_CLOEXEC); });
        add(doorbell_.fd(), kDoorbell, EPOLLIN);
        if (embedded) return;
        signals_taken_ = true;
        sigset_t set;
        sigemptyset(&set);
        for (int sig : {SIGCHLD, SIGINT, SIGTERM}) sigaddset(&set, sig);
        sigprocmask(SIG_BLOCK, &set, &old_mask_);
        old_pipe_ = signal(SIGPIPE, SIG_IGN);
        signal_fd_ = sys::checked("signalfd", "SIGCHLD SIGINT SIGTERM",
                                  [&] { return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC); });
        add(signal_fd_, kSignals, EPOLLIN);
    }
    ~Events() {
        for (int fd : exit_fds_)
            if (fd >= 0) ::close(fd);
        ::close(epoll_fd_);
        if (!signals_taken_) return;
        ::close(signal_fd_);
        signal(SIGPIPE, old_pipe_);
        sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    }

    // Embedded: wakes the loop when slot's worker process pid exits (replacing the watch
    // on its predecessor).
    void watch_exit(size_t slot, pid_t pid) {
        if (signals_taken_ || pid <= 0) return;
        if (exit_fds_[slot] >= 0) ::close(exit_fds_[slot]);
        exit_fds_[slot] = sys::checked("pidfd_open", std::to_string(pid).c_str(), [&] {
            return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
        });
        add(exit_fds_[slot], static_cast<EventTag>(kWorkerExit + slot), EPOLLIN);
    }
    void unwatch_exit(size_t slot) {
        if (exit_fds_[slot] < 0) return;
        ::close(exit_fds_[slot]);  // leaves the epoll set with it
        exit_fds_[slot] = -1;
    }

    void add(int fd, EventTag tag, uint32_t events) {
        struct epoll_event ev {};
        ev.events = events;
        ev.data.u64 = tag;
        sys::checked("epoll_ctl", "add",
                     [&] { return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev); });
    }
    // Arms a one-shot interest in fd's readability. False if fd cannot be polled
    // (a regular file: it is always readable).
    bool arm_input(int fd) {
        struct epoll_event ev {};
        ev.events = EPOLLIN | EPOLLONESHOT;
        ev.data.u64 = kInput;
        int op = input_registered_ ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (epoll_ctl(epoll_fd_, op, fd, &ev) == 0) {
            input_registered_ = true;
            return true;
        }
        if (errno == EPERM) return false;
        throw sys::SystemError("epoll_ctl", "input", errno);
    }
    int wait(struct epoll_event* events, int max, int timeout_ms) {
        int n = epoll_wait(epoll_fd_, events, max, timeout_ms);
        if (n < 0 && errno != EINTR) throw sys::SystemError("epoll_wait", "supervisor", errno);
        return n < 0 ? 0 : n;
    }
    // Returns the next pending signal, or 0.
    int next_signal() {
        struct signalfd_siginfo info;
        ssize_t n = sys::retry_eintr([&] { return ::read(signal_fd_, &info, sizeof info); });
        return n == sizeof info ? static_cast<int>(info.ssi_signo) : 0;
    }
    ipc::Doorbell& doorbell() { return doorbell_; }

  private:
    ipc::Doorbell doorbell_;
    sigset_t old_mask_;
    void (*old_pipe_)(int);
    int signal_fd_ = -1;
    int epoll_fd_ = -1;
    bool signals_taken_ = false;
    bool input_registered_ = false;
    std::vector<int> exit_fds_;  // embedded: a pidfd per worker process
};

Supervisor::Supervisor(SupervisorOptions options, const JobBuilder& command, InputSource& input,
                       JobSink& report)
    : options_(std::move(options)),
      command_(command),
      input_(input),
      report_(report),
      events_(std::make_unique<Events>(options_.embedded, options_.slots())),
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
      write_slots_(kDispatchBatch) {
    if (!options_.embedded) reaper_.emplace(status_);  // before the workers: see reaper_
    const WorkerSettings settings{options_.command_settings, options_.before_first_task};
    const int doorbell = events_->doorbell().fd();
    workers_ =
        options_.thread_slots > 0
            ? make_mixed_workers(options_.workers, options_.thread_slots, doorbell, status_,
                                 settings)
            : make_worker_backend(options_.backend, options_.workers, doorbell, status_, settings);
    // Gated starts: a job is handed over only when its worker is free, so that the gate
    // decides when it starts.
    // --halt too: a job must not start before the result that halts the run is seen.
    if (options_.start_delay.count() > 0 || options_.memfree_bytes > 0 || options_.max_load > 0 ||
        options_.halt.active())
        scheduler_.set_credit_cap(1);
    if (options_.progress) progress_.emplace(*options_.progress);
}

// Out of line for the incomplete Events; destroying workers_ kills and reaps anything
// still running and removes the segment.
Supervisor::~Supervisor() = default;

int Supervisor::run() {
    std::unique_lock loop(loop_mutex_);  // let go only to sleep, or to yield in the spin
    struct Running {                     // ends (under the lock) however run() ends
        bool& flag;
        ~Running() { flag = false; }
    } running{loop_running_};
    for (size_t slot = 0; slot < workers_->slots(); ++slot) start_worker(slot);
    loop_running_ = true;
    if (options_.on_workers_started) options_.on_workers_started();
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
        if (progress_)
            progress_->update(succeeded_ + failed_, failed_, scheduler_.in_flight_total(),
                              input_.exhausted() ? next_seq_ : 0);
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
        if (!spun_in_vain && tasks_are_short()) {
            auto until =
                Clock::now() + (options_.embedded ? 5 * kSpinBeforeSleep : kSpinBeforeSleep);
            bool ready = false;
            while (!ready && !lent && Clock::now() < until) {
                for (int i = 0; i < 32 && !ready; ++i) {
                    ready = results_waiting() || input_waiting();
                    if (loans_wanted_.load(std::memory_order_relaxed) > 0) break;
                    ipc::cpu_relax();
                }
                if (!ready && options_.embedded) lent = yield_loop(loop);
            }
            spun_in_vain = ready;
            if (ready) continue;
        }
        spun_in_vain = false;
        if (!lent) wait_for_events(loop);
        tend_workers();
    }
    workers_->stop(std::chrono::seconds(5));
    if (!report_.finish()) output_closed_ = true;
    if (progress_) progress_->finish(succeeded_ + failed_, failed_, next_seq_);
    if (options_.stats) {
        stats_.restarts = restarts();
        std::string report = stats_.report();
        (void)!::write(2, report.data(), report.size());
    }
    if (stop_signal_) return kExitInterruptedBase + stop_signal_;
    if (output_closed_) return kExitOutputClosed;
    if (restart_limit_hit_) return kExitRestartLimit;
    if (halted_) return halt_exit_code_;
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

// Whether a new job may start now: --keep-order's output backlog, --delay, --memfree
// and --load.
bool Supervisor::may_start_jobs() {
    if (report_.backlogged(options_.max_held_output_bytes, options_.max_held_jobs)) return false;
    const auto now = Clock::now();
    if (options_.start_delay.count() > 0 && now - last_start_ < options_.start_delay) return false;
    if (options_.memfree_bytes > 0 || options_.max_load > 0) {
        if (now - gates_checked_ >= std::chrono::milliseconds(100)) {
            gates_checked_ = now;
            gates_open_ = true;
            if (options_.memfree_bytes > 0 && available_memory() < options_.memfree_bytes)
                gates_open_ = false;
            double load[1];
            if (options_.max_load > 0 && getloadavg(load, 1) == 1 && load[0] >= options_.max_load)
                gates_open_ = false;
        }
        if (!gates_open_) return false;
    }
    return true;
}

// The timeout given to the next job: --timeout SECS, or N% of the median runtime of the
// successful jobs so far (none until one has succeeded).
uint64_t Supervisor::job_timeout_ms() const {
    if (options_.timeout_percent <= 0) return options_.timeout_ms;
    if (ok_run_time_.count() == 0) return 0;
    const double median_ms = static_cast<double>(ok_run_time_.percentile(0.5)) / 1e6;
    return std::max<uint64_t>(1, static_cast<uint64_t>(median_ms * options_.timeout_percent / 100));
}

// The timeout the supervisor enforces for job: an in-process task's, on processes (a
// thread cannot be killed). Remembers the shortest, for how often to check.
uint64_t Supervisor::task_timeout_of(size_t slot, uint64_t timeout_ms) {
    const bool on_thread = options_.backend != Backend::processes || slot >= options_.workers;
    if (timeout_ms == 0 || on_thread) return 0;
    if (shortest_task_timeout_ms_ == 0 || timeout_ms < shortest_task_timeout_ms_)
        shortest_task_timeout_ms_ = timeout_ms;
    return timeout_ms;
}

uint64_t Supervisor::task_timeout_of(size_t slot, const JobSpec& job) {
    return job.kind == JobSpec::Kind::task ? task_timeout_of(slot, job.timeout_ms) : 0;
}

bool Supervisor::dispatch() {
    if (stopping_ || !scheduler_.has_pending() || !may_start_jobs()) return false;
    bool progress = false;
    // Idle workers first, one job each, so that a few long jobs spread over all workers
    // instead of queueing in the first; then the rest of the credits.
    // On loan, idle workers on other CPUs than the borrower's come first.
    std::fill(dispatched_.begin(), dispatched_.end(), false);
    auto on_borrowers_cpu = [&](size_t slot) {
        return borrower_cpu_ >= 0 &&
               status_[slot].idle_cpu.load(std::memory_order_relaxed) == borrower_cpu_;
    };
    for (int pass = borrower_cpu_ >= 0 ? 0 : 1; pass < 2; ++pass)
        for (size_t slot = 0; slot < workers_->slots() && scheduler_.has_pending(); ++slot)
            if (lives_[slot].up && scheduler_.in_flight(slot) == 0 &&
                (pass == 1 || !on_borrowers_cpu(slot)))
                dispatched_[slot] = dispatch_to(slot, 1);
    for (size_t slot = 0; slot < workers_->slots() && scheduler_.has_pending(); ++slot)
        if (lives_[slot].up && dispatch_to(slot, SIZE_MAX)) dispatched_[slot] = true;
    // One wake-up per worker for the whole batch, and none for a worker given nothing: it
    // would wake to spin on an empty ring, taking a core from those that have work.
    for (size_t slot = 0; slot < workers_->slots(); ++slot) {
        if (!dispatched_[slot]) continue;
        workers_->job_ring(slot).notify_consumer();
        progress = true;
    }
    return progress;
}

// Readies slot's pending job i for the batch being sent, and returns the bytes of its
// record. A task goes as a compact record (compact_batch_[i]): a plain one straight from
// its inputs, others through job_batch_[i]; anything else as a message of job_batch_[i].
// A record too big for the ring (over max_bytes) leaves job_batch_[i] filled, for
// dispatch_by_copy.
size_t Supervisor::describe_batch_job(size_t slot, size_t i, uint64_t timeout_ms,
                                      size_t max_bytes) {
    const QueuedJob& queued = scheduler_.pending_for(slot, i);
    CompactJobView& compact = compact_batch_[i];
    if (!options_.line_tag &&
        command_.plain_task(queued.inputs, compact.task_name, compact.payload)) {
        compact.id = queued.seq;
        compact.attempt = queued.attempt;
        compact.timeout_ms = timeout_ms;
        const size_t bytes = compact_record_bytes(compact);
        if (bytes > 0 && bytes <= max_bytes) {
            record_compact_[i] = true;
            return bytes;
        }
    }
    JobSpec& job = job_batch_[i];
    command_.fill_job(queued.seq, static_cast<uint32_t>(slot), queued.inputs, job);
    job.attempt = queued.attempt;
    if (job.timeout_ms == 0) job.timeout_ms = timeout_ms;
    if (options_.line_tag) {
        job.tag.clear();
        options_.line_tag->expand(queued.seq, static_cast<uint32_t>(slot), queued.inputs, false,
                                  job.tag);
        job.tag += '\t';
    }
    record_compact_[i] = compact_view_of(job, compact);
    return record_compact_[i] ? compact_record_bytes(compact)
                              : ipc::in_place_record_bytes(max_message_words(job));
}

// Sends slot as many pending jobs as its credits allow (max_jobs at most). Jobs are built in place
// in records reserved together under one lock; a job too big for a record goes alone, by copy
// (through a spill file).
bool Supervisor::dispatch_to(size_t slot, size_t max_jobs) {
    ipc::Ring& ring = workers_->job_ring(slot);
    bool progress = false;
    const int64_t now_ns = realtime_ns();
    const bool one_at_a_time = options_.start_delay.count() > 0;
    const uint64_t timeout_ms = job_timeout_ms();
    const size_t max_bytes = ring.max_payload();
    size_t sent = 0;
    while (scheduler_.has_pending_for(slot) && scheduler_.credits_left(slot) > 0 &&
           sent < max_jobs) {
        if (one_at_a_time && Clock::now() - last_start_ < options_.start_delay) break;
        if (one_at_a_time) last_start_ = Clock::now();
        const size_t wanted =
            one_at_a_time
                ? 1
                : std::min({scheduler_.credits_left(slot), scheduler_.pending_count_for(slot),
                            kDispatchBatch, max_jobs - sent});
        size_t batch = 0;
        for (; batch < wanted; ++batch) {
            record_sizes_[batch] = describe_batch_job(slot, batch, timeout_ms, max_bytes);
            if (record_sizes_[batch] > max_bytes) break;
        }
        if (batch == 0) {
            if (!dispatch_by_copy(slot, job_batch_[0])) break;
            progress = true;
            ++sent;
            continue;
        }
        const size_t reserved = ring.try_reserve_many(std::span(record_sizes_.data(), batch),
                                                      std::span(write_slots_.data(), batch));
        for (size_t i = 0; i < reserved; ++i) ipc::prefetch_for_write(write_slots_[i]);
        for (size_t i = 0; i < reserved; ++i) {
            const JobSpec& job = job_batch_[i];
            if (!scheduler_.has_pending_for(slot)) {  // a failure below closed the output
                ring.commit(write_slots_[i], ipc::kSkippedRecord, /*notify=*/false);
                continue;
            }
            if (record_compact_[i]) {
                write_compact_record(compact_batch_[i], write_slots_[i].data);
                ring.commit(write_slots_[i], ipc::kCompactRecord, /*notify=*/false);
                scheduler_.dispatch_first(slot, now_ns,
                                          task_timeout_of(slot, compact_batch_[i].timeout_ms));
            } else if (ipc::build_in_record(
                           ring, write_slots_[i],
                           [&](capnp::MessageBuilder& message) { build_job(job, message); },
                           /*notify=*/false)) {
                scheduler_.dispatch_first(slot, now_ns, task_timeout_of(slot, job));
            } else {
                // Cannot happen while max_message_words is an upper bound (tested); the
                // worker skips the record, and the job fails rather than vanish.
                fail_first_pending(slot, "its message outgrew the bound computed for it");
            }
        }
        progress |= reserved > 0;
        sent += reserved;
        if (reserved < batch) break;  // the ring is full
    }
    return progress;
}

// Builds the job in scratch memory and copies it into the ring, or into a spill file
// when it is bigger than a record. False if it could not be sent now (ring full).
bool Supervisor::dispatch_by_copy(size_t slot, const JobSpec& job) {
    std::string error;
    auto outcome = scratch_.build(max_message_words(job), [&](capnp::MessageBuilder& message) {
        build_job(job, message);
        return ipc::try_push_message(workers_->job_ring(slot), message, workers_->spill(slot),
                                     &error,
                                     /*notify=*/false);
    });
    if (outcome == ipc::PushOutcome::ring_full) return false;
    if (outcome == ipc::PushOutcome::failed)
        fail_first_pending(slot, "could not hand the job to a worker: " + error);
    else
        scheduler_.dispatch_first(slot, realtime_ns(), task_timeout_of(slot, job));
    return true;
}

void Supervisor::fail_first_pending(size_t slot, const std::string& why) {
    QueuedJob& job = scheduler_.take_first_pending(slot);
    fail_unrun(job, 126, why);
    scheduler_.retire(job);
}

// A job that cannot run: reported as an error, with why, without reaching a worker.
void Supervisor::fail_unrun(const QueuedJob& job, int exit_code, const std::string& why) {
    JobResult result;
    result.id = job.seq;
    result.attempt = job.attempt;
    result.status = JobStatus::error;
    result.exit_code = exit_code;
    result.start_ns = result.end_ns = realtime_ns();
    result.error_text = why;
    finish_job(job, result);
}

bool Supervisor::gather() {
    bool progress = false;
    for (size_t slot = 0; slot < workers_->slots(); ++slot) progress |= gather_slot(slot);
    return progress;
}

bool Supervisor::gather_slot(size_t slot) {
    // Records read are released in batches of kReleaseBatch, and always before the
    // supervisor sleeps: each release takes the ring's lock, shared with the worker.
    constexpr uint32_t kReleaseBatch = 64;
    if (faulted_[slot]) return false;  // being replaced: what it sent can't be trusted
    ipc::Ring& ring = workers_->result_ring(slot);
    const ipc::SpillDirectory& spill = workers_->spill(slot);
    HeldResults& held = held_results_[slot];
    bool progress = false;
    while (!faulted_[slot]) {
        auto record = held.last ? ring.try_peek_after(*held.last) : ring.try_peek();
        if (!record) break;
        if (record->flags == ipc::kSkippedRecord) {
            held.last = record;
            continue;
        }
        JobResult& result = result_scratch_;
        std::string error = read_record(*record, spill, result);
        held.last = record;
        if (++held.count == kReleaseBatch) release_results(slot);
        handle_result(slot, error, result);
        progress = true;
    }
    return progress;
}

void Supervisor::release_results(size_t slot) {
    HeldResults& held = held_results_[slot];
    if (held.last) workers_->result_ring(slot).release(*held.last);
    held = HeldResults{};
}

void Supervisor::handle_result(size_t slot, const std::string& decode_error, JobResult& result) {
    const QueuedJob* oldest = scheduler_.oldest_in_flight(slot);
    if (!oldest || (decode_error.empty() && result.id != 0 && result.id != oldest->seq)) {
        // A worker that breaks the protocol is faulty: replace it; its jobs are requeued.
        const std::string fault = !oldest ? "sent a result for no job"
                                          : "sent the result of job " + std::to_string(result.id) +
                                                " where job " + std::to_string(oldest->seq) +
                                                " was next";
        std::string line =
            "ringrun: worker " + std::to_string(slot + 1) + " " + fault + "; replacing it\n";
        (void)!::write(2, line.data(), line.size());
        faulted_[slot] = true;
        if (workers_->pid(slot) > 0) kill(workers_->pid(slot), SIGKILL);
        return;
    }
    if (!decode_error.empty()) {
        result = JobResult{};
        result.status = JobStatus::error;
        result.error_text =
            "worker " + std::to_string(slot + 1) + " sent an undecodable result: " + decode_error;
    }
    result.id = oldest->seq;
    result.worker_slot = static_cast<uint32_t>(slot);
    if (result.status == JobStatus::cancelled) {  // the run stopped before it started
        QueuedJob& job = scheduler_.complete_oldest(slot, 0);
        remove_output_files(result);
        if (!report_.job_skipped(job.seq, job.inputs)) output_closed_ = true;
        scheduler_.retire(job);
        return;
    }
    QueuedJob& job = scheduler_.complete_oldest(slot, result.end_ns - result.start_ns);
    SlotLife& life = lives_[slot];
    if (life.jobs_done++ == 0 && life.died_ns != 0) {
        stats_.recovery.add(result.start_ns - life.died_ns);
        life.died_ns = 0;
    }
    if (options_.stats) {  // reported by --stats only
        stats_.queue_wait.add(result.start_ns - job.dispatched_ns);
        stats_.run_time.add(result.end_ns - result.start_ns);
    }
    if (result.status != JobStatus::ok &&
        job.attempt < command_.attempts(job.inputs, options_.retries) && !stopping_) {
        // --retries: run it again; only the last attempt is reported.
        remove_output_files(result);
        ++stats_.retried;
        if (options_.retry_delay.count() > 0) {
            // --retry-delay: doubling with each attempt, with +-25% jitter so that jobs
            // failing together do not retry together.
            const double doubling =
                std::ldexp(1.0, static_cast<int>(std::min(job.attempt, 20u)) - 1);
            const double jitter =
                0.75 +
                0.5 * static_cast<double>((job.seq * 2654435761u + job.attempt) % 1000) / 1000;
            const auto wait = std::chrono::duration<double, std::milli>(
                static_cast<double>(options_.retry_delay.count()) * doubling * jitter);
            ++job.attempt;
            scheduler_.requeue_at(job,
                                  Clock::now() + std::chrono::duration_cast<Clock::duration>(wait));
            return;
        }
        ++job.attempt;
        scheduler_.requeue_first(job);
        return;
    }
    if (result.status == JobStatus::ok && options_.timeout_percent > 0)
        ok_run_time_.add(result.end_ns - result.start_ns);
    finish_job(job, result);
    scheduler_.retire(job);
}

void Supervisor::finish_job(const QueuedJob& job, JobResult& result) {
    if (halted_ && options_.halt.when() == HaltPolicy::When::now) {
        remove_output_files(result);  // killed by --halt now: not part of the run's result
        return;
    }
    stats_.count_outcome(result.status);
    if (result.status != JobStatus::ok)
        ++failed_;
    else
        ++succeeded_;
    if (output_closed_) {
        remove_output_files(result);
    } else if (!report_.job_finished(job.seq, job.inputs, result)) {
        output_closed_ = true;
        begin_stop();
    }
    if (options_.halt.active() && !halted_) check_halt(job, result);
    input_.job_finished(job.inputs, result);
}

// --halt: stop when its condition is met; "now" also kills what runs.
void Supervisor::check_halt(const QueuedJob& job, const JobResult& result) {
    const uint64_t total = input_.exhausted() ? next_seq_ : 0;
    if (!options_.halt.triggered(failed_, succeeded_, total)) return;
    halted_ = true;
    const int exit = result.signal ? 128 + result.signal : result.exit_code ? result.exit_code : 1;
    halt_exit_code_ = options_.halt.exit_code(exit, failed_, failed_ + succeeded_);
    std::string line = std::string("ringrun: This job ") + options_.halt.verb() + ":\n" +
                       report_.command_line(job.seq, result.worker_slot, job.inputs) + "\n";
    (void)!::write(2, line.data(), line.size());
    begin_stop();
    kill_halted_jobs();
}

// --halt now: kills what runs. Repeated while jobs remain (the loop wakes for it), as a
// worker may have started one just before it saw the stop.
void Supervisor::kill_halted_jobs() {
    if (!halted_ || options_.halt.when() != HaltPolicy::When::now) return;
    status_.kill_command_groups();
    if (command_.is_task())
        for (size_t slot = 0; slot < workers_->slots(); ++slot)
            if (workers_->pid(slot) > 0 && scheduler_.in_flight(slot) > 0)
                kill(workers_->pid(slot), SIGKILL);
}

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
    status_[slot].job_seq.store(0);
    gather_slot(slot);  // salvage every complete result it left
    auto lost = scheduler_.take_in_flight(slot);
    if (!stopping_ || exit.wait_status != 0) {
        std::string line = "ringrun: worker " + std::to_string(slot + 1) + " (pid " +
                           std::to_string(exit.pid) + ") ";
        line += life.timed_out_seq     ? "was killed: its task overran --timeout"
                : life.start_timed_out ? "was killed: it had not started 5 s after its fork "
                                         "(stuck on a lock held at the fork?)"
                                       : describe_exit(exit.wait_status);
        if (!lost.empty()) line += "; " + std::to_string(lost.size()) + " of its jobs unfinished";
        line += "\n";
        (void)!::write(2, line.data(), line.size());
    }
    for (auto it = lost.rbegin(); it != lost.rend(); ++it)
        retire_lost_job(**it, slot, exit.wait_status);
    life.timed_out_seq = 0;
    life.start_timed_out = false;
    held_results_[slot] = HeldResults{};
    workers_->job_ring(slot).reset();  // repairs a mutex its owner died holding
    workers_->result_ring(slot).reset();
    faulted_[slot] = false;
    if (!stopping_) schedule_restart(slot);
}

// A job that was inside a dead worker: retried (attempt + 1) while attempts remain,
// otherwise reported lost; the task it was killed for overrunning is reported timeout.
void Supervisor::retire_lost_job(QueuedJob& job, size_t slot, int wait_status) {
    const uint32_t attempts = std::max(options_.lost_attempts, options_.retries);
    JobResult result;
    result.id = job.seq;
    result.attempt = job.attempt;
    result.worker_slot = static_cast<uint32_t>(slot);
    if (job.seq == lives_[slot].timed_out_seq) {
        result.status = JobStatus::timeout;
        result.error_text = "timed out after " + std::to_string(job.task_timeout_ms) +
                            " ms; its worker was killed and replaced";
        finish_job(job, result);
        scheduler_.retire(job);
        return;
    }
    if (job.attempt < attempts && !stopping_) {
        ++job.attempt;
        ++stats_.retried;
        scheduler_.requeue_first(job);
        return;
    }
    result.status = JobStatus::lost;
    result.signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    result.error_text = "failed: its worker " + describe_exit(wait_status) + " (attempt " +
                        std::to_string(job.attempt) + " of " + std::to_string(attempts) + ")";
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
    workers_->start(slot);
    events_->watch_exit(slot, workers_->pid(slot));
    lives_[slot].up = true;
    lives_[slot].confirmed = workers_->pid(slot) <= 0;  // threads need no confirming
    unconfirmed_workers_ += !lives_[slot].confirmed;
    lives_[slot].started = Clock::now();
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

// Every job not yet handed to a worker: cancelled (exit_code 0: reported skipped), or
// failed with exit_code and why.
void Supervisor::cancel_pending(int exit_code, const std::string& why) {
    for (QueuedJob* job : scheduler_.take_pending()) {
        if (exit_code != 0) {
            fail_unrun(*job, exit_code, why);
        } else if (!report_.job_skipped(job->seq, job->inputs)) {
            output_closed_ = true;
            begin_stop();
        }
        scheduler_.retire(*job);
    }
}

// In-process tasks cannot be interrupted: one that overruns its timeout gets its worker
// SIGKILLed, and handle_worker_exit reports it as timed out. The job a worker runs is
// the oldest it holds (it runs them in order).
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
        if (workers_->pid(slot) > 0) kill(workers_->pid(slot), SIGKILL);
    }
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
        // A gate (--delay, --memfree, --load) may open without an event.
        if (options_.start_delay.count() > 0)
            wait = std::min(wait, until(last_start_ + options_.start_delay));
        if (options_.memfree_bytes > 0 || options_.max_load > 0)
            wait = std::min(wait, std::chrono::milliseconds(100));
    }
    if (progress_) wait = std::min(wait, progress_->interval());
    if (unconfirmed_workers_ > 0)  // check_worker_starts
        wait = std::min(wait, std::chrono::milliseconds(100));
    if (halted_ && options_.halt.when() == HaltPolicy::When::now)
        wait = std::min(wait, std::chrono::milliseconds(20));
    return static_cast<int>(wait.count());
}

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

// The loop's thread, spinning before it sleeps, lets go of the loop for a moment. If a
// borrower took it meanwhile, this thread sleeps in epoll until the borrower gives it
// back with work left, or an event comes; then it takes the loop back. True if it was
// lent.
bool Supervisor::yield_loop(std::unique_lock<std::mutex>& loop) {
    const uint64_t loans = loans_;
    loop.unlock();
    if (loans_wanted_.load(std::memory_order_acquire) == 0) {
        sched_yield();
    } else {  // a borrower is at the door: let it in rather than race it for the lock
        for (int i = 0; i < 4096 && loans_wanted_.load(std::memory_order_acquire) > 0 &&
                        !loop_lent_.load(std::memory_order_acquire);
             ++i)
            ipc::cpu_relax();
    }
    for (;;) {
        // Lent first: a borrower stepped away from the loop a moment is not robbed of it.
        if (loop_lent_.load(std::memory_order_acquire)) break;
        if (loop.try_lock()) {
            if (loans_ != loans) clear_wake_requests();  // made by the loan's return
            return false;
        }
        ipc::cpu_relax();  // a borrower between taking the loop and saying so
    }
    struct epoll_event events[8];
    const int n = sleep_unlocked(loop, events, kSafetyWakeMs);
    handle_events(events, n, n == 0);
    return true;
}

// Sleeps in epoll with the loop let go (a borrower may run it meanwhile) until an event
// or the timeout, then has the loop back (asking a borrower for it if need be). While a
// borrower drives the loop for long (Pool::map's caller), it also looks every
// kLentLookEveryMs whether the loop is free: given back, or its borrower away from it for
// longer than kAwayTooLongNs (a callback of the caller's may be waiting on the loop).
int Supervisor::sleep_unlocked(std::unique_lock<std::mutex>& loop, struct epoll_event* events,
                               int timeout_ms) {
    const auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
        const int left_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
        const bool looking = long_borrowers_.load(std::memory_order_relaxed) > 0;
        const int n =
            events_->wait(events, 8, looking ? std::min(left_ms, kLentLookEveryMs) : left_ms);
        if (n > 0 || !looking || Clock::now() >= until) {
            take_loop_back(loop);
            return n;
        }
        const int64_t away_since = borrower_away_since_ns_.load(std::memory_order_relaxed);
        if (loop_lent_.load(std::memory_order_acquire) &&
            (away_since == 0 || ipc::monotonic_ns() - away_since < kAwayTooLongNs))
            continue;  // its borrower drives it, or is away only a moment
        if (loop.try_lock()) {
            reclaim_loop();
            return 0;
        }
    }
}

// After a sleep in epoll: a borrower may hold the loop meanwhile (Pool::map's caller may
// hold it for long), and is asked to give it back, since what woke this thread (a
// worker's exit, say) is for it alone to handle.
void Supervisor::take_loop_back(std::unique_lock<std::mutex>& loop) {
    if (!loop.try_lock()) {
        loop_wanted_back_.store(true, std::memory_order_relaxed);
        loop.lock();
        loop_wanted_back_.store(false, std::memory_order_relaxed);
    }
    reclaim_loop();
}

// run()'s thread has the loop again: a borrower that stepped away from it has lost it.
void Supervisor::reclaim_loop() {
    if (!loop_lent_.load(std::memory_order_relaxed)) return;
    borrower_cpu_ = -1;
    borrower_away_since_ns_.store(0, std::memory_order_relaxed);
    loop_lent_.store(false, std::memory_order_release);
}

bool Supervisor::borrow_loop() {
    if (!options_.embedded) return false;
    // The loop's thread lets go of the loop whenever it sleeps, and, spinning idle,
    // as soon as it sees a borrower waiting; a borrower that finds it busy for a few
    // microseconds leaves the work to it.
    loans_wanted_.fetch_add(1, std::memory_order_acq_rel);
    const auto give_up = Clock::now() + std::chrono::microseconds(5);
    bool taken = false;
    for (uint32_t i = 1; !(taken = loop_mutex_.try_lock()); ++i) {
        if (i % 64 == 0 && Clock::now() > give_up) break;
        ipc::cpu_relax();
    }
    loans_wanted_.fetch_sub(1, std::memory_order_acq_rel);
    return taken && take_loan_locked();
}

// Holding loop_mutex_: makes it a loan, unless the loop has ended (then let go).
bool Supervisor::take_loan_locked() {
    if (!loop_running_) {
        loop_mutex_.unlock();
        return false;
    }
    ++loans_;
    borrower_cpu_ = sched_getcpu();
    loop_lent_.store(true, std::memory_order_release);
    clear_wake_requests();  // the borrower spins: nobody needs to ring
    return true;
}

void Supervisor::begin_long_loans() {
    long_borrowers_.fetch_add(1, std::memory_order_relaxed);
}

void Supervisor::end_long_loans() {
    long_borrowers_.fetch_sub(1, std::memory_order_relaxed);
}

void Supervisor::step_away_from_loop() {
    // Submissions from other code (the callbacks' own, say) wake run()'s thread, which
    // then takes the loop if the borrower is still away.
    input_.set_consumer_sleeping(true);
    borrower_away_since_ns_.store(ipc::monotonic_ns(), std::memory_order_relaxed);
    loop_mutex_.unlock();
}

bool Supervisor::step_back_to_loop() {
    if (!loop_mutex_.try_lock()) return false;
    borrower_away_since_ns_.store(0, std::memory_order_relaxed);
    // Still lent: nobody took it meanwhile. Else run()'s thread, or another borrower, had
    // it and let go: a new loan.
    if (!loop_lent_.load(std::memory_order_acquire)) return take_loan_locked();
    input_.set_consumer_sleeping(false);
    return true;
}

// The loop's thread may be asleep in epoll, with the wake requests cleared by the
// borrower: they are made again on its behalf, and it is woken at once if anything is
// waiting or will need it soon (jobs in flight or pending, a timer, a replacement to
// fork, the end of the input).
void Supervisor::return_loop() {
    bool needs_loop_thread = !prepare_to_sleep() || scheduler_.has_pending() ||
                             scheduler_.in_flight_total() > 0 || scheduler_.delayed_count() > 0 ||
                             unconfirmed_workers_ > 0 || progress_.has_value() ||
                             input_.exhausted() || stopping_;
    for (const SlotLife& life : lives_) needs_loop_thread |= !life.up;
    if (needs_loop_thread) events_->doorbell().ring();
    borrower_cpu_ = -1;
    loop_lent_.store(false, std::memory_order_release);
    loop_mutex_.unlock();
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
    kill_halted_jobs();
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

}  // namespace ringrun
