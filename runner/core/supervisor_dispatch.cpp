// Dispatch: handing pending jobs to workers as far as their credits allow, idle workers
// first, in batches reserved under one ring lock; and the gates that hold starts back.
// Must never block: a full ring ends the batch, and the job waits for the next turn.
#include <capnp/message.h>

#include <algorithm>

#include "runner/core/supervisor.hpp"
#include "worker/job_codec.hpp"

namespace ringrun {

// Whether a new job may start now: the sink's output backlog (--keep-order), --delay,
// and the front end's gate (--memfree, --load).
bool Supervisor::may_start_jobs() {
    if (report_.backlogged()) return false;
    if (options_.start_delay.count() > 0 && Clock::now() - last_start_ < options_.start_delay)
        return false;
    return !hooks_.start_gate || hooks_.start_gate->open();
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

// A command's timeout is the worker's to enforce (--termseq on its process group); a
// worker that has not ended it this long after (SIGSTOPped, stuck) is killed with it.
uint64_t Supervisor::command_backstop_ms() const {
    uint64_t ms = 2000;
    for (const TermStep& step : options_.command_settings.termseq)
        ms += static_cast<uint64_t>(step.wait.count());
    return ms;
}

uint64_t Supervisor::task_timeout_of(size_t slot, const JobSpec& job) {
    if (job.kind == JobSpec::Kind::task) return task_timeout_of(slot, job.timeout_ms);
    return job.timeout_ms ? task_timeout_of(slot, job.timeout_ms + command_backstop_ms()) : 0;
}

void Supervisor::handed_out(QueuedJob& job, ipc::RecordHeader* record, uint16_t record_flags) {
    job.record = record;
    job.record_flags = record_flags;
    if (hooks_.start_listener && job.attempt == 1) hooks_.start_listener->job_handed_out(job.seq);
}

// A worker whose oldest job has been in flight this long holds a long job: the jobs
// queued behind it there are withdrawn for idle workers, and it is sent no more.
bool Supervisor::holds_a_long_job(size_t slot, int64_t now_ns) const {
    const QueuedJob* oldest = scheduler_.oldest_in_flight(slot);
    const double after_ns = std::max(kLongJobAfterNs, 8 * scheduler_.mean_runtime_ns());
    return oldest && static_cast<double>(now_ns - oldest->dispatched_ns) > after_ns;
}

// Jobs queued in a worker behind a long job, while another worker idles with nothing
// pending: withdrawn, newest first, as long as the worker has not taken them up (a
// compare-and-swap on each record decides), and put first in the queue, attempt
// unchanged. Deep queues of tiny jobs (up to 1,024) cost no stranding this way.
void Supervisor::withdraw_stranded_jobs() {
    const size_t slots = workers_->slots();
    bool idle = false;
    for (size_t slot = 0; slot < slots && !idle; ++slot)
        idle =
            lives_[slot].up && scheduler_.in_flight(slot) == 0 && !scheduler_.has_pending_for(slot);
    if (!idle) return;
    const int64_t now_ns = realtime_ns();
    for (size_t slot = 0; slot < slots; ++slot) {
        if (scheduler_.in_flight(slot) < 2 || scheduler_.holds_suspect(slot) ||
            !holds_a_long_job(slot, now_ns))
            continue;
        while (scheduler_.in_flight(slot) > 1) {
            QueuedJob* newest = scheduler_.newest_in_flight(slot);
            if (!newest->record ||
                !ipc::Ring::withdraw(newest->record, newest->record_flags, ipc::kSkippedRecord))
                break;  // taken up already, and so is every job before it
            scheduler_.requeue_newest_in_flight(slot);
            --lives_[slot].jobs_sent;
            ++stats_.withdrawn;
        }
    }
}

bool Supervisor::dispatch() {
    if (!stopping_ && !scheduler_.has_pending()) withdraw_stranded_jobs();
    if (stopping_ || !scheduler_.has_pending() || !may_start_jobs()) return false;
    bool progress = false;
    // Idle workers first, one job each, so that a few long jobs spread over all workers
    // instead of queueing in the first; then the rest of the credits.
    // On loan, idle workers on other CPUs than the borrower's come first.
    std::fill(dispatched_.begin(), dispatched_.end(), false);
    const int64_t now_ns = realtime_ns();  // one clock read for every job sent this turn
    auto on_borrowers_cpu = [&](size_t slot) {
        return borrower_cpu_ >= 0 &&
               status_[slot].idle_cpu.load(std::memory_order_relaxed) == borrower_cpu_;
    };
    for (int pass = borrower_cpu_ >= 0 ? 0 : 1; pass < 2; ++pass)
        for (size_t slot = 0; slot < workers_->slots() && scheduler_.has_pending(); ++slot)
            if (lives_[slot].up && scheduler_.in_flight(slot) == 0 &&
                (pass == 1 || !on_borrowers_cpu(slot)))
                dispatched_[slot] = dispatch_to(slot, 1, now_ns);
    for (size_t slot = 0; slot < workers_->slots() && scheduler_.has_pending(); ++slot)
        if (lives_[slot].up && !holds_a_long_job(slot, now_ns) &&
            dispatch_to(slot, SIZE_MAX, now_ns))
            dispatched_[slot] = true;
    // One wake-up per worker for the whole batch, and none for a worker given nothing: it
    // would wake to spin on an empty ring, taking a core from those that have work.
    // Where this thread runs, so that a worker on the same CPU does not spin for more.
    const int cpu = sched_getcpu();
    for (size_t slot = 0; slot < workers_->slots(); ++slot) {
        if (!dispatched_[slot]) continue;
        workers_->job_ring(slot).set_producer_cpu(cpu);
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
    if (options_.memory_limit == 0 &&
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
    job.memory_limit = 0;  // builders that have none leave it alone
    command_.fill_job(queued.seq, static_cast<uint32_t>(slot), queued.inputs, job);
    job.attempt = queued.attempt;
    if (job.timeout_ms == 0) job.timeout_ms = timeout_ms;
    if (job.memory_limit == 0) job.memory_limit = options_.memory_limit;
    record_compact_[i] = compact_view_of(job, compact);
    return record_compact_[i] ? compact_record_bytes(compact)
                              : ipc::in_place_record_bytes(max_message_words(job));
}

// Sends slot as many pending jobs as its credits allow (max_jobs at most). Jobs are built in place
// in records reserved together under one lock; a job too big for a record goes alone, by copy
// (through a spill file).
bool Supervisor::dispatch_to(size_t slot, size_t max_jobs, int64_t now_ns) {
    ipc::Ring& ring = workers_->job_ring(slot);
    // A worker retiring after N jobs is sent N in all: none is left in it to take back.
    SlotLife& life = lives_[slot];
    if (options_.recycling.after_jobs != 0 && workers_->pid(slot) > 0)
        max_jobs = std::min<uint64_t>(max_jobs,
                                      options_.recycling.after_jobs -
                                          std::min(life.jobs_sent, options_.recycling.after_jobs));
    bool progress = false;
    const bool one_at_a_time = options_.start_delay.count() > 0;
    const uint64_t timeout_ms = job_timeout_ms();
    const size_t max_bytes = ring.max_payload();
    size_t sent = 0;
    while (scheduler_.has_pending_for(slot) && scheduler_.credits_left(slot) > 0 &&
           sent < max_jobs) {
        if (one_at_a_time && Clock::now() - last_start_ < options_.start_delay) break;
        const size_t wanted = scheduler_.sendable_now(
            slot, one_at_a_time
                      ? 1
                      : std::min({scheduler_.credits_left(slot), scheduler_.pending_count_for(slot),
                                  kDispatchBatch, max_jobs - sent}));
        if (wanted == 0) break;  // a suspect waits for a worker of its own
        if (one_at_a_time) last_start_ = Clock::now();
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
                handed_out(scheduler_.dispatch_first(
                               slot, now_ns, task_timeout_of(slot, compact_batch_[i].timeout_ms)),
                           write_slots_[i].header, ipc::kCompactRecord);
                ++life.jobs_sent;
            } else if (ipc::build_in_record(
                           ring, write_slots_[i],
                           [&](capnp::MessageBuilder& message) { build_job(job, message); },
                           /*notify=*/false)) {
                handed_out(scheduler_.dispatch_first(slot, now_ns, task_timeout_of(slot, job),
                                                     job.kind != JobSpec::Kind::task),
                           write_slots_[i].header, ipc::kInlineMessage);
                ++life.jobs_sent;
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
    else {
        handed_out(scheduler_.dispatch_first(slot, realtime_ns(), task_timeout_of(slot, job),
                                             job.kind != JobSpec::Kind::task),
                   nullptr, 0);
        ++lives_[slot].jobs_sent;
    }
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

}  // namespace ringrun
