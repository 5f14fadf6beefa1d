// Worker loop and task dispatch. A job record that cannot be decoded still gets a result
// (status error), so the supervisor's per-worker FIFO of jobs in flight stays exact.
#include "worker/worker_loop.hpp"

#include <capnp/message.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "worker/descendants.hpp"
#include "worker/job_codec.hpp"
#include "worker/memory_limit.hpp"
#include "worker/result_records_ahead.hpp"
#include "worker/task_record.hpp"

namespace ringrun {
namespace {

constexpr auto kIdleWait = std::chrono::seconds(1);

// The task called name: the one looked up last (a map over one task: no hash lookup),
// or null if there is none.
TaskFunction find_task(std::string_view name, WorkerContext& context) {
    if (name != context.last_task_name) {
        context.last_task = context.tasks->find(name);
        context.last_task_name = name;
    }
    return context.last_task;
}

// A task taken straight after another starts when that one ended: the tens of
// nanoseconds between (its result pushed, this job read) count toward this one, and a
// clock read (about a tenth of a no-op task's cost in the worker) is saved.
int64_t task_start_ns(WorkerContext& context) {
    return context.straight_on_from_ns ? context.straight_on_from_ns : context.clock.now_ns();
}

// Says in the slot status which job this worker has taken up, before it runs it (as soon
// as its record is decoded): a death from now on is that job's, and no other's the
// worker holds.
void mark_running(WorkerContext& context, uint64_t seq, uint32_t attempt) {
    if (!context.status) return;
    context.status->stderr_tail.clear();
    context.status->job_attempt.store(attempt, std::memory_order_relaxed);
    context.status->job_seq.store(seq, std::memory_order_release);
}

// A decoded job is this worker's from now on: marked running, and a task with a timeout
// has its start published first, so that the supervisor can time it out by killing
// this worker (never by a stale start).
void take_up(WorkerContext& context, const JobSpec& job) {
    if (context.status && job.timeout_ms > 0)
        context.status->job_start_ns.store(ipc::monotonic_ns(), std::memory_order_relaxed);
    mark_running(context, job.id, job.attempt);
}

// Calls task, after the worker's start hook the first time; an exception either throws
// fails the task with the exception's message, as a task's own failure.
TaskOutcome call_guarded(TaskFunction task, std::string_view payload, WorkerContext& context,
                         bool* out_of_memory = nullptr) {
    const char* stage = "the worker's start hook";
    try {
        if (context.before_first_task) {
            context.before_first_task();
            context.before_first_task = nullptr;
        }
        stage = "the task";
        return task(payload);
    } catch (const std::bad_alloc& e) {
        if (out_of_memory) *out_of_memory = true;
        return {false, {}, std::string(stage) + " ran out of memory: " + e.what()};
    } catch (const std::exception& e) {
        return {false, {}, std::string(stage) + " threw: " + e.what()};
    } catch (...) {
        return {false, {}, std::string(stage) + " threw a non-standard exception"};
    }
}

JobResult run_task(const JobSpec& job, WorkerContext& context) {
    JobResult r;
    r.id = job.id;
    r.attempt = job.attempt;
    r.worker_slot = context.slot;
    r.start_ns = task_start_ns(context);
    TaskFunction task = find_task(job.task_name, context);
    if (!task) {
        r.status = JobStatus::error;
        r.exit_code = 127;
        r.error_text = "unknown task '" + job.task_name + "'";
        r.end_ns = r.start_ns;
        return r;
    }
    bool out_of_memory = false;
    TaskOutcome outcome;
    {
        TaskMemoryLimit limit(context.own_process ? job.memory_limit : 0);
        outcome = call_guarded(task, job.payload, context, &out_of_memory);
    }
    r.out = std::move(outcome.output);
    if (!outcome.ok) {
        r.status =
            out_of_memory && job.memory_limit != 0 ? JobStatus::memory_limit : JobStatus::failed;
        r.exit_code = 1;
        r.err = std::move(outcome.error);
    }
    r.end_ns = context.clock.now_ns();
    return r;
}

// Waits as long as it takes for a result record of bytes: the supervisor drains result
// rings continually, and if it dies this process dies with it (PR_SET_PDEATHSIG).
ipc::WriteSlot reserve_result_record(WorkerContext& context, size_t bytes) {
    std::optional<ipc::WriteSlot> slot;
    while (!(slot = context.result_ring.reserve_wait(bytes, kIdleWait, context.idle_spin))) {
    }
    return *slot;
}

// Pushes result (a JobResult or a CompactResultView) as a compact record, reserved ahead
// with others when there is room. False, with nothing pushed, if it has a field the
// compact form lacks or is too big for a record.
template <typename Result>
bool push_compact_result(WorkerContext& context, const Result& result, ResultRecordsAhead& ahead) {
    const size_t bytes = compact_record_bytes(result);
    if (bytes == 0 || bytes > context.result_ring.max_payload()) return false;
    std::optional<ipc::WriteSlot> slot = ahead.take(bytes);
    if (!slot) slot = reserve_result_record(context, bytes);  // ring full: none left ahead
    write_compact_record(result, slot->data);
    context.result_ring.commit(*slot, ipc::kCompactRecord);
    return true;
}

// Kills this worker at a point inside pushing result's record, if the fault plan says so;
// or, for garbage-record, sends a truncated record in place of result's (true then).
bool inject_push_fault(WorkerContext& context, const JobSpec& job, const JobResult& result,
                       ResultRecordsAhead& ahead) {
    const FaultPlan& faults = context.faults;
    const bool at_push = faults.point == FaultPoint::garbage_record ||
                         faults.point == FaultPoint::holding_ring_lock ||
                         faults.point == FaultPoint::reserved_not_committed ||
                         faults.point == FaultPoint::half_written;
    if (!at_push || !faults.fires(faults.point, job)) return false;
    ahead.give_back();  // what a fault writes must not overtake records reserved ahead
    switch (faults.point) {
        case FaultPoint::garbage_record: {
            JobResult claims;  // only what a compact record holds, whatever the job was
            claims.id = result.id;
            claims.attempt = result.attempt;
            claims.worker_slot = result.worker_slot;
            claims.out.assign(100, 'x');
            std::vector<std::byte> whole(compact_record_bytes(claims));
            write_compact_record(claims, whole.data());
            const size_t kept = whole.size() - 50;  // half of the output it claims is missing
            std::optional<ipc::WriteSlot> slot;
            while (!(slot = context.result_ring.reserve_wait(kept, kIdleWait, context.idle_spin))) {
            }
            std::memcpy(slot->data, whole.data(), kept);
            context.result_ring.commit(*slot, ipc::kCompactRecord);
            return true;
        }
        case FaultPoint::holding_ring_lock:
            context.result_ring.lock_for_test();
            break;
        case FaultPoint::reserved_not_committed:
            (void)context.result_ring.try_reserve(64);
            break;
        default:  // half_written
            if (auto slot = context.result_ring.try_reserve(256))
                std::memset(slot->data, 0x5a, slot->size / 2);
            break;
    }
    die_by_fault();
}

// Pushes result, waiting as long as it takes (see reserve_result_record).
void push_result(WorkerContext& context, const JobResult& result, ipc::MessageScratch& scratch,
                 ResultRecordsAhead& ahead) {
    if (push_compact_result(context, result, ahead)) return;
    ahead.give_back();
    // Else a message, built in place in a record sized by the message's upper bound.
    const size_t bytes = ipc::in_place_record_bytes(max_message_words(result));
    if (bytes <= context.result_ring.max_payload()) {
        if (ipc::build_in_record(
                context.result_ring, reserve_result_record(context, bytes),
                [&](capnp::MessageBuilder& message) { build_result(result, message); },
                /*notify=*/true))
            return;
    }
    auto send = [&](const JobResult& r) {
        return scratch.build(max_message_words(r), [&](capnp::MessageBuilder& message) {
            build_result(r, message);
            std::string error;
            while (ipc::push_message_wait(context.result_ring, message, context.spill, kIdleWait,
                                          context.idle_spin,
                                          &error) == ipc::PushOutcome::ring_full) {
            }
            return error;
        });
    };
    std::string error = send(result);
    if (!error.empty()) {
        // The result could not be spilled (disk full?): report that instead of the output.
        JobResult failed = result;
        failed.out.clear();
        failed.err.clear();
        failed.status = JobStatus::error;
        failed.error_text = "result could not be delivered: " + error;
        send(failed);
    }
}

// A task job in a compact record, the per-task hot path: its name and payload are read
// in place and its result written straight into a result record, with no JobSpec or
// JobResult between. Sets straight_on_from_ns. False, with nothing done, if the job must
// take the general path: its record does not decode, its task is unknown, it has a
// timeout to publish, the run is stopping, or a fault is planned (tests).
bool run_compact_task(const ipc::ReadSlot& record, WorkerContext& context,
                      ipc::MessageScratch& scratch, ResultRecordsAhead& ahead) {
    CompactJobView job;
    if (context.faults.point != FaultPoint::none || view_compact_record(record, job)) return false;
    if (context.status &&
        (job.timeout_ms > 0 || context.status->stop_starting.load(std::memory_order_relaxed)))
        return false;
    mark_running(context, job.id, job.attempt);
    TaskFunction task = find_task(job.task_name, context);
    if (!task) return false;
    CompactResultView r;
    r.id = job.id;
    r.attempt = job.attempt;
    r.worker_slot = context.slot;
    r.start_ns = task_start_ns(context);
    TaskOutcome outcome = call_guarded(task, job.payload, context);
    r.out = outcome.output;
    if (!outcome.ok) {
        r.status = JobStatus::failed;
        r.exit_code = 1;
        r.err = outcome.error;
    }
    r.end_ns = context.clock.now_ns();
    if (!push_compact_result(context, r, ahead)) {  // too big for a record: by message
        JobResult whole;
        static_cast<ResultHead&>(whole) = r;
        whole.out = std::move(outcome.output);
        whole.err = std::move(outcome.error);
        push_result(context, whole, scratch, ahead);
    }
    context.straight_on_from_ns = r.end_ns;
    return true;
}

// Runs job, marked running already (see take_up).
JobResult run_taken_up(WorkerContext& context, const JobSpec& job) {
    JobResult result = execute_job(job, context);
    if (context.faults.fires(FaultPoint::mid_job, job)) die_by_fault();
    if (context.faults.fires(FaultPoint::wrong_id, job)) result.id += 1'000'000;
    return result;
}

// Whether the worker, having taken up one more job and pushed its result, retires now
// (recycling). Its peak RSS is asked of the kernel only when a limit is set.
bool retires_now(WorkerContext& context) {
    ++context.jobs_taken;
    const WorkerRecycling& r = context.recycling;
    if (r.after_jobs != 0 && context.jobs_taken >= r.after_jobs) return true;
    if (r.above_rss_kb == 0) return false;
    struct rusage usage {};
    return getrusage(RUSAGE_SELF, &usage) == 0 &&
           static_cast<uint64_t>(usage.ru_maxrss) >= r.above_rss_kb;
}

// Takes up the job in record (neither empty nor skipped): runs it and pushes its result,
// or pushes why it could not run. hold(release_now) is told when the record is read with,
// and whether to release it (and those held before it) at once.
template <typename Hold>
void take_job_record(const ipc::ReadSlot& record, WorkerContext& context, JobSpec& job,
                     ipc::MessageScratch& scratch, ResultRecordsAhead& ahead, Hold&& hold) {
    if (record.flags == ipc::kCompactRecord && run_compact_task(record, context, scratch, ahead)) {
        hold(false);  // released only now: the task read its payload in place
        return;
    }
    std::string error = read_record(record, context.spill, job);
    hold(!error.empty() || job.kind != JobSpec::Kind::task);
    if (!error.empty()) {
        JobResult bad;
        bad.worker_slot = context.slot;
        bad.status = JobStatus::error;
        bad.error_text = error;
        push_result(context, bad, scratch, ahead);
        context.straight_on_from_ns = 0;
        return;
    }
    take_up(context, job);
    if (context.faults.fires(FaultPoint::after_pop, job)) die_by_fault();
    if (context.status && context.status->stop_starting.load(std::memory_order_relaxed)) {
        JobResult cancelled;
        cancelled.id = job.id;
        cancelled.attempt = job.attempt;
        cancelled.worker_slot = context.slot;
        cancelled.status = JobStatus::cancelled;
        push_result(context, cancelled, scratch, ahead);
        context.straight_on_from_ns = 0;
        return;
    }
    JobResult result = run_taken_up(context, job);
    if (inject_push_fault(context, job, result, ahead)) return;
    push_result(context, result, scratch, ahead);
    context.straight_on_from_ns = job.kind == JobSpec::Kind::task ? result.end_ns : 0;
}

}  // namespace

WorkerContext::WorkerContext(size_t slot_index, ipc::Ring jobs, ipc::Ring results,
                             const std::string& spill_directory)
    : slot(static_cast<uint32_t>(slot_index)),
      job_ring(jobs),
      result_ring(results),
      spill(spill_directory),
      tasks(&task_registry()) {}

void WorkerContext::configure(const WorkerSettings& settings, ipc::SlotStatusTable& table) {
    command_limits = settings.commands;
    command_limits.output_directory = spill.path();
    command_limits.output_lock = &table.output_lock();
    command_limits.stderr_tail = &table[slot].stderr_tail;
    command_limits.started_ns = &table[slot].job_start_ns;
    before_first_task = settings.before_first_task;
    recycling = settings.recycling;
    attach_status(&table[slot]);
}

JobResult execute_job(const JobSpec& job, WorkerContext& context) {
    if (job.kind == JobSpec::Kind::task) return run_task(job, context);
    JobResult result = run_command(job, context.slot, context.command_limits);
    if (context.own_process) reap_exited_descendants();  // daemons of its that ended
    return result;
}

void run_worker_loop(WorkerContext& context) {
    if (context.status) context.status->started_pid.store(getpid(), std::memory_order_release);
    // Job records are released in batches (one lock per batch), and always before the
    // worker sleeps or starts a command, so a long job never holds ring space.
    constexpr int kReleaseBatch = 32;
    ipc::MessageScratch scratch;
    ResultRecordsAhead ahead(context.result_ring);
    JobSpec job;
    std::optional<ipc::ReadSlot> held;
    int unreleased = 0;
    auto release_held = [&] {
        if (held) context.job_ring.release(*held);
        held.reset();
        unreleased = 0;
    };
    for (;;) {
        std::optional<ipc::ReadSlot> record =
            held ? context.job_ring.try_peek_after(*held) : context.job_ring.try_peek();
        if (!record) {
            context.straight_on_from_ns = 0;
            const int cpu = sched_getcpu();
            if (context.status) context.status->idle_cpu.store(cpu, std::memory_order_relaxed);
            release_held();
            // A spin pays only while the supervisor is awake (asleep in epoll, its wake
            // request standing on this worker's result ring, it sends nothing) and runs on
            // another CPU (on this one, it runs only once this worker stops spinning).
            const bool supervisor_may_answer =
                !context.result_ring.consumer_sleeping() && context.job_ring.producer_cpu() != cpu;
            ipc::ReadSlot waited;
            auto outcome = context.job_ring.wait_peek(waited, kIdleWait, context.job_wait,
                                                      supervisor_may_answer);
            if (outcome == ipc::WaitOutcome::closed) return;
            if (outcome == ipc::WaitOutcome::timed_out) continue;
            record = waited;
        }
        // Holds no job, or was withdrawn by the supervisor (to run elsewhere) before this
        // worker took it: stepped over.
        if (record->flags == ipc::kSkippedRecord || !context.job_ring.take(*record)) {
            held = record;
            if (++unreleased == kReleaseBatch) release_held();
            continue;
        }
        take_job_record(*record, context, job, scratch, ahead, [&](bool release_now) {
            held = record;
            if (++unreleased == kReleaseBatch || release_now) release_held();
        });
        if (context.recycling.enabled() && retires_now(context)) {
            // Everything it pushed is committed; what it holds unread goes back uncharged.
            ahead.give_back();
            release_held();
            if (context.status) context.status->retiring.store(true, std::memory_order_release);
            return;
        }
    }
}

}  // namespace ringrun
