// Job bookkeeping and adaptive credits.
#include "runner/core/scheduler.hpp"

#include <algorithm>

namespace ringrun {
namespace {
// Jobs queued ahead in one worker when jobs are short: as many as take about
// kQueuedWorkNs to run, between kShortJobCredits and kMaxCredits. Tiny jobs go up to
// 1,024 at a time, so that a worker that sleeps (a shared machine, where spinning does
// not pay) is woken once per thousand jobs rather than once per 64. A long job among
// them strands nothing: the supervisor withdraws the jobs queued behind it that its
// worker has not taken up (Supervisor::withdraw_stranded_jobs).
constexpr uint32_t kShortJobCredits = 64;
constexpr uint32_t kMaxCredits = 1024;
constexpr double kQueuedWorkNs = 1'000'000;
}  // namespace

Scheduler::Scheduler(size_t slots, size_t lane_split)
    : lane_split_(lane_split), holds_suspect_(slots, false), in_flight_(slots) {}

QueuedJob& Scheduler::new_draft() {
    if (free_.empty()) {
        if ((entry_count_ >> kBlockBits) == blocks_.size())
            blocks_.push_back(std::make_unique<QueuedJob[]>(1u << kBlockBits));
        draft_ = entry_count_++;
        at(draft_).entry = draft_;
    } else {
        draft_ = free_.back();
        free_.pop_back();
    }
    QueuedJob& job = at(draft_);
    job.seq = 0;
    job.attempt = 1;
    job.dispatched_ns = 0;
    job.task_timeout_ms = 0;
    job.lane = 0;
    job.suspect = false;
    return job;
}

size_t Scheduler::sendable_now(size_t slot, size_t wanted) const {
    const size_t l = lane(slot);
    if (suspects_pending_[l] == 0) return wanted;  // the usual case: nothing to look at
    const auto& pending = pending_[l];
    if (at(pending.front()).suspect) return in_flight_[slot].empty() ? 1 : 0;
    size_t n = 1;
    while (n < wanted && n < pending.size() && !at(pending[n]).suspect) ++n;
    return std::min(n, wanted);
}

void Scheduler::enqueue(QueuedJob job) {
    QueuedJob& entry = draft();
    job.entry = entry.entry;
    entry = std::move(job);
    suspects_pending_[entry.lane] += entry.suspect;
    enqueue_draft();
}

QueuedJob& Scheduler::take_first_pending(size_t slot) {
    auto& pending = pending_[lane(slot)];
    QueuedJob& job = at(pending.front());
    suspects_pending_[lane(slot)] -= job.suspect;
    pending.pop_front();
    return job;
}

QueuedJob& Scheduler::complete_oldest(size_t slot, int64_t runtime_ns) {
    QueuedJob& job = at(in_flight_[slot].front());
    in_flight_[slot].pop_front();
    if (job.suspect) {  // its result is in: it did not take the worker down this time
        job.suspect = false;
        holds_suspect_[slot] = false;
    }
    double sample = static_cast<double>(runtime_ns < 0 ? 0 : runtime_ns);
    mean_runtime_ns_ = mean_runtime_ns_ < 0 ? sample : 0.9 * mean_runtime_ns_ + 0.1 * sample;
    // A job queued behind another waits for it: short jobs queue as deep as about
    // kQueuedWorkNs of work, longer ones only as long as a few supervisor round trips.
    if (mean_runtime_ns_ < 20'000)
        credit_limit_ =
            static_cast<uint32_t>(std::clamp(kQueuedWorkNs / std::max(mean_runtime_ns_, 1.0),
                                             double{kShortJobCredits}, double{kMaxCredits}));
    else if (mean_runtime_ns_ < 200'000)
        credit_limit_ = 8;
    else if (mean_runtime_ns_ < 2'000'000)
        credit_limit_ = 2;
    else
        credit_limit_ = 1;
    credit_limit_ = std::min(credit_limit_, credit_cap_);
    return job;
}

bool Scheduler::release_due(Clock::time_point now) {
    bool any = false;
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
        const uint32_t entry = delayed_.begin()->second;
        suspects_pending_[at(entry).lane] += at(entry).suspect;
        pending_[at(entry).lane].push_front(entry);
        delayed_.erase(delayed_.begin());
        any = true;
    }
    return any;
}

std::vector<QueuedJob*> Scheduler::take_pending() {
    std::vector<QueuedJob*> jobs;
    jobs.reserve(pending_count() + delayed_.size());
    for (auto& lane : pending_) {
        for (size_t i = 0; i < lane.size(); ++i) jobs.push_back(&at(lane[i]));
        lane.clear();
    }
    suspects_pending_[0] = suspects_pending_[1] = 0;
    for (auto& [due, entry] : delayed_) jobs.push_back(&at(entry));
    delayed_.clear();
    std::sort(jobs.begin(), jobs.end(),
              [](const QueuedJob* a, const QueuedJob* b) { return a->seq < b->seq; });
    return jobs;
}

void Scheduler::drop_pending() {
    for (QueuedJob* job : take_pending()) retire(*job);
}

std::vector<QueuedJob*> Scheduler::take_in_flight(size_t slot) {
    std::vector<QueuedJob*> jobs;
    jobs.reserve(in_flight_[slot].size());
    holds_suspect_[slot] = false;
    for (auto& queue = in_flight_[slot]; !queue.empty(); queue.pop_front())
        jobs.push_back(&at(queue.front()));
    return jobs;
}

size_t Scheduler::in_flight_total() const {
    size_t n = 0;
    for (const auto& q : in_flight_) n += q.size();
    return n;
}

}  // namespace ringrun
