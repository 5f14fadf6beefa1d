// Submission queue and result hand-off of the library Pool.
#include "runner/library/pool_queue.hpp"

#include <bit>
#include <chrono>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <tuple>

#include "ipc/adaptive_spin.hpp"
#include "ipc/futex_word.hpp"

namespace ringrun {
namespace {

// A map() task's second input: its MapResults' address and its index (the low 56 bits:
// no map reaches 2^56 tasks), 15 bytes, so that it stays in std::string's inline buffer.
constexpr size_t kIndexBytes = 7;
constexpr size_t kMapRefBytes = sizeof(MapResults*) + kIndexBytes;

void write_map_ref(std::string& to, MapResults* map, uint64_t index) {
    to.resize(kMapRefBytes);
    std::memcpy(to.data(), &map, sizeof map);
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(to.data() + sizeof map, &index, kIndexBytes);  // its low bytes
    } else {
        for (size_t i = 0; i < kIndexBytes; ++i)
            to[sizeof map + i] = static_cast<char>((index >> (8 * i)) & 0xff);
    }
}

MapResults* read_map_ref(const std::string& from, uint64_t& index) {
    MapResults* map;
    std::memcpy(&map, from.data(), sizeof map);
    index = 0;
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&index, from.data() + sizeof map, kIndexBytes);
    } else {
        for (size_t i = 0; i < kIndexBytes; ++i)
            index |= uint64_t{static_cast<unsigned char>(from[sizeof map + i])} << (8 * i);
    }
    return map;
}

// Takes a finished job's result into a task's: its status, and into its text the value
// (ok) or why it failed.
void take_result(JobResult& r, MapResult& into) {
    into.attempts = r.attempt;
    if (r.status == JobStatus::ok) {
        into.status = TaskStatus::ok;
        if (!r.out.empty()) into.text.swap(r.out);  // into's is empty; most tasks' too
        return;
    }
    into.text = !r.err.empty() ? std::move(r.err) : std::move(r.error_text);
    if (into.text.empty()) into.text = std::string("task ") + status_name(r.status);
    switch (r.status) {
        case JobStatus::timeout:
            into.status = TaskStatus::timeout;
            break;
        case JobStatus::lost:
            into.status = TaskStatus::lost;
            break;
        case JobStatus::cancelled:
            into.status = TaskStatus::cancelled;
            break;
        case JobStatus::memory_limit:
            into.status = TaskStatus::memory_limit;
            break;
        default:
            into.status = TaskStatus::failed;
            break;
    }
}

}  // namespace

void MapResults::notify_locked() {
    if (wake_at_ != 0 && done_.size() >= wake_at_) delivered_.notify_one();
}

void MapResults::publish() {
    std::lock_guard lock(mutex_);
    if (done_.empty()) {
        done_.swap(staged_);  // staged_ takes done_'s buffer, emptied by the last take
    } else {
        done_.insert(done_.end(), std::make_move_iterator(staged_.begin()),
                     std::make_move_iterator(staged_.end()));
        staged_.clear();
    }
    notify_locked();
}

void MapResults::deliver_now(uint64_t index, TaskResult&& result) {
    std::lock_guard lock(mutex_);
    done_.emplace_back(index, std::move(result));
    notify_locked();
}

void MapResults::fail(const std::string& why) {
    std::lock_guard lock(mutex_);
    failed_ = true;
    failure_ = why;
    delivered_.notify_all();
}

std::string MapResults::failure() {
    std::lock_guard lock(mutex_);
    return failed_ ? failure_ : std::string();
}

void MapResults::take(std::vector<MapResult>& out, size_t at_least) {
    out.clear();
    std::unique_lock lock(mutex_);
    if (done_.size() < at_least) {
        // Whatever has come after a millisecond is taken too: the rest of the batch may
        // be queued behind a long task.
        wake_at_ = at_least;
        const auto patience = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
        while (done_.size() < at_least && !failed_) {
            if (delivered_.wait_until(lock, patience) == std::cv_status::timeout) break;
        }
        if (done_.empty()) {
            wake_at_ = 1;
            delivered_.wait(lock, [&] { return !done_.empty() || failed_; });
        }
        wake_at_ = 0;
    }
    out.swap(done_);
}

void ApplyResult::complete(TaskResult&& result) {
    result_ = std::move(result);
    if (state_.exchange(kDone, std::memory_order_acq_rel) == kSleeping) ipc::futex_wake_all(state_);
}

TaskResult ApplyResult::take() {
    // A short task's result comes within microseconds: the caller spins for it while
    // spinning pays (its own recent spins say so: adaptive_spin.hpp), and otherwise
    // sleeps at once. Never sched_yield: on a shared machine it hands a CPU hog the core.
    thread_local ipc::AdaptiveSpin spin(std::chrono::microseconds(50));
    auto done = [&] { return state_.load(std::memory_order_acquire) != kWaiting; };
    if (const auto budget = spin.next_budget(); !done() && budget.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + budget;
        for (uint32_t turn = 1; !done(); ++turn) {
            ipc::cpu_relax();
            if (turn % 64 == 0 && std::chrono::steady_clock::now() >= until) break;
        }
        spin.spin_ended(done());
    }
    uint32_t expected = kWaiting;  // else kDone: nothing to sleep for
    if (state_.compare_exchange_strong(expected, kSleeping, std::memory_order_acq_rel))
        while (state_.load(std::memory_order_acquire) == kSleeping)
            ipc::futex_wait(state_, kSleeping, std::chrono::seconds(1));
    return std::move(result_);
}

void PoolQueue::complete(TaskWaiter& waiter, TaskResult&& result) {
    waiter.done = true;
    if (waiter.apply) {
        waiter.apply->complete(std::move(result));
        return;
    }
    if (result.ok())
        waiter.promise->set_value(std::move(result.value));
    else
        waiter.promise->set_exception(std::make_exception_ptr(
            TaskError(result.status, std::move(result.error), result.attempts)));
}

void PoolQueue::complete(Submission& s, std::vector<Call>& calls, TaskResult&& result,
                         std::vector<MapResults*>* staged_maps) {
    if (!s.map) {
        complete(calls[s.index].waiter, std::move(result));
        return;
    }
    if (!staged_maps) {
        s.map->deliver_now(s.index, std::move(result));
        return;
    }
    bool first;
    s.map->stage(s.index, first) = MapResult(s.index, std::move(result));
    if (first) staged_maps->push_back(s.map);
}

void PoolQueue::flush() {
    for (MapResults* map : staged_maps_) map->publish();
    staged_maps_.clear();
}

void PoolQueue::check_open_locked() const {
    if (closed_.load(std::memory_order_relaxed))
        throw std::logic_error("ringrun::Pool: submitted after shutdown()");
}

bool PoolQueue::publish_locked() {
    shared_count_.store(shared_size_, std::memory_order_seq_cst);
    // Pairs with the supervisor's sleeping flag, then its available() check: one of the
    // two sees the other.
    return supervisor_sleeping_.load(std::memory_order_seq_cst);
}

void PoolQueue::push(std::string_view task, std::string&& payload, TaskWaiter&& waiter) {
    bool wake_needed;
    {
        std::lock_guard lock(mutex_);
        check_open_locked();
        if (shared_.empty()) shared_.push_back(spare_batch_locked());
        shared_.back().push_back({std::move(payload), nullptr, shared_calls_.size()});
        ++shared_size_;
        shared_calls_.push_back({std::string(task), std::move(waiter)});
        wake_needed = publish_locked();
    }
    if (wake_needed) doorbell_.ring();
}

std::future<std::string> PoolQueue::submit(std::string_view task, std::string payload) {
    TaskWaiter waiter;
    std::future<std::string> future = waiter.promise.emplace().get_future();
    push(task, std::move(payload), std::move(waiter));
    return future;
}

void PoolQueue::submit_apply(std::string_view task, std::string payload, ApplyResult& result) {
    TaskWaiter waiter;
    waiter.apply = &result;
    push(task, std::move(payload), std::move(waiter));
}

void PoolQueue::submit_map(std::vector<Submission>& tasks, bool wake) {
    bool wake_needed;
    {
        std::lock_guard lock(mutex_);
        check_open_locked();
        shared_size_ += tasks.size();
        shared_.push_back(std::move(tasks));
        tasks = spare_batch_locked();
        wake_needed = publish_locked();  // once for the batch
    }
    if (wake_needed && wake) doorbell_.ring();
}

PoolQueue::Batch PoolQueue::spare_batch_locked() {
    if (spare_batches_.empty()) return {};
    Batch batch = std::move(spare_batches_.back());
    spare_batches_.pop_back();
    return batch;
}

void PoolQueue::begin_map(MapResults& results) {
    std::lock_guard lock(mutex_);
    active_maps_.push_back(&results);
}

void PoolQueue::end_map(MapResults& results) {
    std::lock_guard lock(mutex_);
    std::erase(active_maps_, &results);
}

void PoolQueue::cancel_pending() {
    std::vector<Batch> cancelled;
    std::vector<Call> calls;
    {
        std::lock_guard lock(mutex_);
        cancelled.swap(shared_);
        calls.swap(shared_calls_);
        shared_size_ = 0;
        shared_count_.store(0, std::memory_order_release);
        cancel_requested_.store(true, std::memory_order_release);
    }
    doorbell_.ring();
    for (Batch& batch : cancelled)
        for (Submission& s : batch)  // this thread's: delivered at once, not staged
            complete(s, calls, {TaskStatus::cancelled, {}, "cancelled before it started", 0},
                     nullptr);
}

void PoolQueue::close() {
    {
        std::lock_guard lock(mutex_);
        closed_.store(true, std::memory_order_release);
    }
    doorbell_.ring();
}

void PoolQueue::fail_all(const std::string& why) {
    std::vector<Batch> left;
    std::vector<Call> left_calls;
    {
        std::lock_guard lock(mutex_);
        closed_.store(true, std::memory_order_release);
        left.swap(shared_);
        left_calls.swap(shared_calls_);
        shared_size_ = 0;
        shared_count_.store(0, std::memory_order_release);
    }
    complete_unread({TaskStatus::lost, {}, why, 0});
    for (Batch& batch : left)
        for (Submission& s : batch)
            complete(s, left_calls, {TaskStatus::lost, {}, why, 0}, &staged_maps_);
    for (TaskWaiter& waiter : waiters_)
        if (!waiter.done) complete(waiter, {TaskStatus::lost, {}, why, 0});
    waiters_.clear();
    flush();
    // The map() tasks the supervisor held are gone with its run: their calls stop waiting.
    // Under the lock, which end_map() takes before a call's MapResults goes away.
    std::lock_guard lock(mutex_);
    for (MapResults* map : active_maps_) map->fail(why);
}

void PoolQueue::pass_read_batches() {
    while (taken_batch_ < taken_.size() && taken_next_ == taken_[taken_batch_].size()) {
        ++taken_batch_;
        taken_next_ = 0;
    }
}

void PoolQueue::complete_unread(const TaskResult& result) {
    for (; taken_left(); pass_read_batches())
        complete(taken_[taken_batch_][taken_next_++], taken_calls_, TaskResult(result),
                 &staged_maps_);
}

bool PoolQueue::next(std::vector<std::string>& inputs) {
    if (!taken_left()) {
        if (shared_count_.load(std::memory_order_acquire) == 0) return false;
        for (Batch& batch : taken_) batch.clear();  // outside the lock: frees payloads
        taken_calls_.clear();
        taken_batch_ = taken_next_ = 0;
        std::lock_guard lock(mutex_);
        for (Batch& batch : taken_) spare_batches_.push_back(std::move(batch));
        taken_.clear();
        taken_.swap(shared_);  // both keep their capacity
        taken_calls_.swap(shared_calls_);
        shared_size_ = 0;
        shared_count_.store(0, std::memory_order_release);
        pass_read_batches();  // past empty ones
        if (!taken_left()) return false;
    }
    Submission& s = taken_[taken_batch_][taken_next_++];
    pass_read_batches();
    if (s.map) {  // where its result goes travels in its inputs: no waiter to keep
        inputs.resize(kMapTaskInputs);
        inputs[0] = std::move(s.payload);
        write_map_ref(inputs[1], s.map, s.index);
        return true;
    }
    inputs.resize(kCallInputs);
    inputs[0] = std::move(s.payload);
    Call& call = taken_calls_[s.index];
    inputs[2] = std::move(call.task);
    uint32_t index;
    if (free_waiters_.empty()) {
        index = static_cast<uint32_t>(waiters_.size());
        waiters_.emplace_back();
    } else {
        index = free_waiters_.back();
        free_waiters_.pop_back();
    }
    waiters_[index] = std::move(call.waiter);
    waiters_[index].done = false;
    inputs[1].resize(sizeof index);  // no-op for a recycled input: cheaper than assign()
    std::memcpy(inputs[1].data(), &index, sizeof index);
    return true;
}

bool PoolQueue::exhausted() const {
    return closed_.load(std::memory_order_acquire) && !taken_left() &&
           shared_count_.load(std::memory_order_acquire) == 0;
}

bool PoolQueue::take_cancel_request() {
    if (!cancel_requested_.load(std::memory_order_acquire)) return false;
    cancel_requested_.store(false, std::memory_order_relaxed);
    complete_unread({TaskStatus::cancelled, {}, "cancelled before it started", 0});
    return true;
}

bool PoolQueue::available() const {
    return taken_left() || shared_count_.load(std::memory_order_relaxed) > 0;
}

void PoolQueue::complete(const std::vector<std::string>& inputs, JobResult&& result) {
    if (inputs.size() == kMapTaskInputs) {  // staged in place: the per-task path of map()
        uint64_t map_index;
        MapResults* map = read_map_ref(inputs[1], map_index);
        bool first;
        take_result(result, map->stage(map_index, first));
        if (first) staged_maps_.push_back(map);
        return;
    }
    uint32_t index;
    if (inputs.size() != kCallInputs || inputs[1].size() != sizeof index) return;  // not ours
    std::memcpy(&index, inputs[1].data(), sizeof index);
    if (index >= waiters_.size() || waiters_[index].done) return;
    MapResult taken;
    take_result(result, taken);
    complete(waiters_[index], taken.take());
    waiters_[index] = TaskWaiter{};  // drops the promise's reference now
    free_waiters_.push_back(index);
}

}  // namespace ringrun
