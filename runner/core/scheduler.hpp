// The supervisor's book of jobs: those waiting, and those inside each worker (in the
// order they were sent, which is the order their results come back). Credits limit how
// many jobs a worker holds: many for tiny jobs, one for long ones, adapted from measured
// run times, so that a slow job never strands a long queue behind it.
// Must never lose a job: every job is pending, in flight in exactly one slot, or handed back.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipc/ring.hpp"
#include "runner/core/circular_queue.hpp"

namespace ringrun {

struct QueuedJob {
    uint64_t seq = 0;
    uint32_t attempt = 1;
    std::vector<std::string> inputs;
    int64_t dispatched_ns = 0;  // CLOCK_REALTIME when handed to a worker (for queue wait)
    // The timeout the supervisor enforces by killing the worker (set at dispatch): an
    // in-process task's own; a command's plus a backstop (the worker ends a command on
    // time itself, unless it is stopped or stuck). 0: none.
    uint64_t task_timeout_ms = 0;
    bool timeout_is_backstop = false;  // a command's: task_timeout_ms includes the backstop
    // Which slots may run it: lane 0 (the first slots), or lane 1 (the slots from
    // Scheduler's lane split: thread workers, when a pipeline mixes backends).
    uint8_t lane = 0;
    // It was running when its worker died: it runs alone on a worker until its result
    // is in, so that it cannot take other jobs down with it again.
    bool suspect = false;
    uint32_t entry = 0;  // which of the Scheduler's entries holds it
    // Its record in the worker's job ring, with the flags it was committed with, while it
    // is in flight: a job not yet taken up may be withdrawn (null: sent by copy, never).
    ipc::RecordHeader* record = nullptr;
    uint16_t record_flags = 0;
};

// Jobs live in entries that the scheduler keeps from the moment a job is read until it
// is done with, and reuses, inputs and all: the queues hold entry numbers, so a job
// changes queues without being moved, and reading a job allocates nothing once warm.
// An entry taken out of the queues (complete_oldest, take_*) is the caller's until it
// gives it back with retire() or requeues it.
class Scheduler {
  public:
    // Slots from lane_split on run lane 1's jobs (none by default).
    explicit Scheduler(size_t slots, size_t lane_split = SIZE_MAX);

    // The entry the next job is read into: a free one, holding (in inputs) whatever its
    // last job left, for the reader to overwrite. Stays the draft until enqueued.
    QueuedJob& draft() { return draft_ != kNoDraft ? at(draft_) : new_draft(); }
    // Queues the draft (in its lane) as pending.
    void enqueue_draft() {
        const uint32_t entry = take_draft();
        pending_[at(entry).lane].push_back(entry);
    }
    // Queues a copy of job as pending.
    void enqueue(QueuedJob job);
    // Puts a job taken out of the queues back, first in its lane.
    void requeue_first(QueuedJob& job) {
        job.record = nullptr;
        suspects_pending_[job.lane] += job.suspect;
        pending_[job.lane].push_front(job.entry);
    }
    // --retry-delay: the job waits until due before it is pending again.
    using Clock = std::chrono::steady_clock;
    void requeue_at(QueuedJob& job, Clock::time_point due) { delayed_.emplace(due, job.entry); }
    // A job taken out of the queues is done with: its entry is free for another.
    void retire(QueuedJob& job) { free_.push_back(job.entry); }
    // Moves the jobs due by now to the front of the queue; true if any.
    bool release_due(Clock::time_point now);
    std::optional<Clock::time_point> next_due() const {
        if (delayed_.empty()) return std::nullopt;
        return delayed_.begin()->first;
    }
    size_t delayed_count() const { return delayed_.size(); }
    bool has_pending() const { return !pending_[0].empty() || !pending_[1].empty(); }
    size_t pending_count() const { return pending_[0].size() + pending_[1].size(); }
    // The jobs slot may run.
    bool has_pending_for(size_t slot) const { return !pending_[lane(slot)].empty(); }
    size_t pending_count_for(size_t slot) const { return pending_[lane(slot)].size(); }
    const QueuedJob& pending_for(size_t slot, size_t i) const {
        return at(pending_[lane(slot)][i]);
    }
    // Takes every job waiting (pending or delayed) out of the queues, oldest first.
    std::vector<QueuedJob*> take_pending();
    // Forgets every job waiting, retiring them.
    void drop_pending();
    // Takes the first job pending for slot (one that could not be sent) out of the queue.
    QueuedJob& take_first_pending(size_t slot);

    bool has_credit(size_t slot) const { return credits_left(slot) > 0; }
    bool holds_suspect(size_t slot) const { return holds_suspect_[slot]; }
    // None while slot runs a suspect.
    size_t credits_left(size_t slot) const {
        if (holds_suspect_[slot]) return 0;
        return in_flight_[slot].size() < credit_limit_ ? credit_limit_ - in_flight_[slot].size()
                                                       : 0;
    }
    // How many of the first wanted jobs pending for slot may go to it now: none behind a
    // suspect, and a suspect first only to a slot that holds nothing (then alone).
    size_t sendable_now(size_t slot, size_t wanted) const;
    // Moves the first job pending for slot into its jobs in flight, stamped with now_ns.
    QueuedJob& dispatch_first(size_t slot, int64_t now_ns = 0, uint64_t task_timeout_ms = 0,
                              bool backstop = false) {
        const size_t l = lane(slot);
        QueuedJob& job = at(pending_[l].front());
        job.dispatched_ns = now_ns;
        job.task_timeout_ms = task_timeout_ms;
        job.timeout_is_backstop = backstop && task_timeout_ms > 0;
        if (job.suspect) {
            holds_suspect_[slot] = true;
            --suspects_pending_[l];
        }
        in_flight_[slot].push_back(job.entry);
        pending_[l].pop_front();
        return job;
    }
    // The oldest job in flight in slot (whose result comes next).
    const QueuedJob* oldest_in_flight(size_t slot) const {
        return in_flight_[slot].empty() ? nullptr : &at(in_flight_[slot].front());
    }
    // The newest job in flight in slot, and taking it back out of flight to the front of
    // the pending jobs (it was withdrawn from the worker before it began).
    QueuedJob* newest_in_flight(size_t slot) {
        return in_flight_[slot].empty() ? nullptr : &at(in_flight_[slot].back());
    }
    void requeue_newest_in_flight(size_t slot) {
        QueuedJob& job = at(in_flight_[slot].back());
        in_flight_[slot].pop_back();
        requeue_first(job);
    }
    // Takes slot's oldest job out of flight; its run time (runtime_ns) adapts the credits.
    QueuedJob& complete_oldest(size_t slot, int64_t runtime_ns);
    // Takes slot's jobs in flight out of the queues, oldest first.
    std::vector<QueuedJob*> take_in_flight(size_t slot);
    size_t in_flight(size_t slot) const { return in_flight_[slot].size(); }
    size_t in_flight_total() const;
    uint32_t credit_limit() const { return credit_limit_; }
    // The recent mean run time of jobs (exponentially weighted); negative until measured.
    double mean_runtime_ns() const { return mean_runtime_ns_; }
    // At most cap jobs queued in a worker, whatever the run times (1: a job is handed
    // over only when its worker is free, for --delay, --memfree and --load).
    void set_credit_cap(uint32_t cap) {
        credit_cap_ = cap;
        credit_limit_ = std::min(credit_limit_, cap);
    }

  private:
    static constexpr uint32_t kNoDraft = UINT32_MAX;
    size_t lane(size_t slot) const { return slot >= lane_split_ ? 1 : 0; }
    QueuedJob& new_draft();
    uint32_t take_draft() {
        draft();  // made if there is none yet
        const uint32_t entry = draft_;
        draft_ = kNoDraft;
        return entry;
    }
    size_t lane_split_;
    // The entries, in blocks that never move (an entry is referred to while more are
    // made); std::deque would do, but costs tens of instructions per access.
    static constexpr uint32_t kBlockBits = 8;
    std::vector<std::unique_ptr<QueuedJob[]>> blocks_;
    uint32_t entry_count_ = 0;
    QueuedJob& at(uint32_t i) { return blocks_[i >> kBlockBits][i & ((1u << kBlockBits) - 1)]; }
    const QueuedJob& at(uint32_t i) const {
        return blocks_[i >> kBlockBits][i & ((1u << kBlockBits) - 1)];
    }
    std::vector<uint32_t> free_;
    uint32_t draft_ = kNoDraft;
    CircularQueue<uint32_t> pending_[2];
    size_t suspects_pending_[2] = {0, 0};  // suspects among pending_ (by lane)
    std::vector<char> holds_suspect_;      // per slot: a suspect is in flight there
    std::multimap<Clock::time_point, uint32_t> delayed_;
    uint32_t credit_cap_ = UINT32_MAX;
    std::vector<CircularQueue<uint32_t>> in_flight_;
    double mean_runtime_ns_ = -1;  // exponentially weighted
    uint32_t credit_limit_ = 1;    // until run times are measured: a job may be long
};

}  // namespace ringrun
