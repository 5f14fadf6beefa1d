// Gathering: reading the result rings, matching each result to the job its worker runs,
// retrying failures (--retries, --retry-delay), and reporting final outcomes to the sink.
// Must never trust a worker that breaks the protocol: its results stop being read, and
// it is killed and replaced.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "runner/core/supervisor.hpp"
#include "worker/job_codec.hpp"

namespace ringrun {

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
        lives_[slot].faulted_seq = oldest ? oldest->seq : 0;
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
        job.attempt < command_.attempts(job.inputs, options_.retries) && !stopping_ &&
        (cause_bit(result.status) & options_.retry_causes) &&
        command_.retries_cause(job.inputs, result.status)) {
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
    if (killing_for_stop()) {
        remove_output_files(result);  // killed by the stop (--halt now): not the run's result
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
    if (hooks_.stop_rule && !stop_order_) check_stop_rule(job, result);
    input_.job_finished(job.inputs, result);
}

}  // namespace ringrun
