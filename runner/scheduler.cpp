// Job bookkeeping and adaptive credits.
#include "runner/scheduler.hpp"

namespace ringrun {
namespace {
// Jobs queued ahead in one worker when jobs are tiny (measured best on 2 cores: 16 wakes
// the worker too often, 256 lets one worker's queue run dry while the other's is full).
constexpr uint32_t kMaxCredits = 64;
}  // namespace

Scheduler::Scheduler(size_t slots, size_t lane_split)
    : lane_split_(lane_split), in_flight_(slots) {}

void Scheduler::dispatch_first(size_t slot, int64_t now_ns, uint64_t task_timeout_ms) {
    auto& pending = pending_[lane(slot)];
    pending.front().dispatched_ns = now_ns;
    pending.front().task_timeout_ms = task_timeout_ms;
    in_flight_[slot].push_back(std::move(pending.front()));
    pending.pop_front();
}

QueuedJob Scheduler::take_first_pending(size_t slot) {
    auto& pending = pending_[lane(slot)];
    QueuedJob job = std::move(pending.front());
    pending.pop_front();
    return job;
}

const QueuedJob* Scheduler::oldest_in_flight(size_t slot) const {
    return in_flight_[slot].empty() ? nullptr : &in_flight_[slot].front();
}

QueuedJob Scheduler::complete_oldest(size_t slot, int64_t runtime_ns) {
    QueuedJob job = std::move(in_flight_[slot].front());
    in_flight_[slot].pop_front();
    double sample = static_cast<double>(runtime_ns < 0 ? 0 : runtime_ns);
    mean_runtime_ns_ = mean_runtime_ns_ < 0 ? sample : 0.9 * mean_runtime_ns_ + 0.1 * sample;
    // A job queued behind another waits for it: allow a queue only as long as a few
    // supervisor round trips (tens of microseconds) cover.
    if (mean_runtime_ns_ < 20'000)
        credit_limit_ = kMaxCredits;
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
        QueuedJob& job = delayed_.begin()->second;
        pending_[job.lane].push_front(std::move(job));
        delayed_.erase(delayed_.begin());
        any = true;
    }
    return any;
}

std::vector<QueuedJob> Scheduler::take_pending() {
    std::vector<QueuedJob> jobs;
    jobs.reserve(pending_count() + delayed_.size());
    for (auto& lane : pending_)
        for (size_t i = 0; i < lane.size(); ++i) jobs.push_back(std::move(lane[i]));
    for (auto& [due, job] : delayed_) jobs.push_back(std::move(job));
    drop_pending();
    std::sort(jobs.begin(), jobs.end(),
              [](const QueuedJob& a, const QueuedJob& b) { return a.seq < b.seq; });
    return jobs;
}

std::vector<QueuedJob> Scheduler::take_in_flight(size_t slot) {
    std::vector<QueuedJob> jobs;
    jobs.reserve(in_flight_[slot].size());
    for (auto& queue = in_flight_[slot]; !queue.empty(); queue.pop_front())
        jobs.push_back(std::move(queue.front()));
    return jobs;
}

void Scheduler::recycle_inputs(std::vector<std::string>&& inputs) {
    if (spare_inputs_.size() < 1024) spare_inputs_.push_back(std::move(inputs));
}

std::vector<std::string> Scheduler::reusable_inputs() {
    if (spare_inputs_.empty()) return {};
    std::vector<std::string> inputs = std::move(spare_inputs_.back());
    spare_inputs_.pop_back();
    return inputs;
}

size_t Scheduler::in_flight_total() const {
    size_t n = 0;
    for (const auto& q : in_flight_) n += q.size();
    return n;
}

}  // namespace ringrun
