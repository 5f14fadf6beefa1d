// The library Pool's side of the supervisor: tasks submitted from any thread wait here
// until the supervisor (on the pool's own thread) reads them as its input, and each
// keeps what waits for its result (a promise, an apply() call, or a map() call's
// result list).
// Must never block the supervisor: its side only swaps a batch out under the lock,
// and an eventfd wakes it when work arrives while it sleeps.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <ringrun/pool.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipc/doorbell.hpp"
#include "runner/core/input_source.hpp"
#include "worker/job.hpp"

namespace ringrun {

// A map() task's result on its way to its caller: one string (the value, or why it
// failed) where a TaskResult has two, since every staged result crosses from the pool's
// core to the caller's. (A submit() or apply() result passes through one too.)
struct MapResult {
    uint64_t index = 0;
    TaskStatus status = TaskStatus::ok;
    uint32_t attempts = 0;
    std::string text;  // ok: the value; otherwise why it failed

    MapResult() = default;
    MapResult(uint64_t i, TaskResult&& r)
        : index(i),
          status(r.status),
          attempts(r.attempts),
          text(r.ok() ? std::move(r.value) : std::move(r.error)) {}
    // The caller's side: moves the text out into the TaskResult it stands for.
    TaskResult take() {
        TaskResult r;
        take_into(r);
        return r;
    }
    // The same into r, reused from result to result: the text is swapped in (most are
    // empty: then r's is emptied), and r's other string emptied.
    void take_into(TaskResult& r) {
        r.status = status;
        r.attempts = attempts;
        std::string& kept = r.ok() ? r.value : r.error;
        (r.ok() ? r.error : r.value).clear();
        if (text.empty())
            kept.clear();
        else
            kept.swap(text);
    }
};

// Where a map() call's results go, in completion order; the calling thread takes them.
// The loop stages each result here without a lock, and publishes what it staged once
// per turn (one lock, and a swap of vectors rather than a move per result).
// Its task's name is read by the pool's thread for each task, and its results' lock is
// taken by the calling thread: apart, on cache lines of their own.
class alignas(64) MapResults {
  public:
    // The results of a map() call over task (which each of its submissions runs).
    explicit MapResults(std::string task) : task_(std::move(task)) {}
    const std::string& task() const { return task_; }
    // The thread holding the supervisor's loop: adds one result, returned (its index set)
    // for the caller to fill in place; first: whether it is the first staged since the
    // last publish (the caller then remembers to publish).
    MapResult& stage(uint64_t index, bool& first) {
        first = staged_.empty();
        MapResult& result = staged_.emplace_back();
        result.index = index;
        return result;
    }
    // The same thread: makes the staged results available to take().
    void publish();
    // Any thread: adds one result and makes it available at once.
    void deliver_now(uint64_t index, TaskResult&& result);
    // After the supervisor's run ended abnormally, once nothing more can be delivered:
    // take() no longer waits. why: the run's failure, for the tasks that never came back.
    void fail(const std::string& why);
    // Empty unless failed; for the caller once take() has returned nothing.
    std::string failure();
    // Moves the results delivered so far into out (emptied first), waiting until there
    // are at least at_least (which must not exceed the tasks still to complete: each
    // completes exactly once), or for at least one once a millisecond has passed. Waking
    // the taker once per batch, not once per result, keeps a futex wake-up off each
    // task's path.
    // Returns at once once failed.
    void take(std::vector<MapResult>& out, size_t at_least);

  private:
    void notify_locked();
    const std::string task_;
    std::vector<MapResult> staged_;    // the loop's thread only
    alignas(64) bool failed_ = false;  // under mutex_
    std::string failure_;
    std::mutex mutex_;
    std::condition_variable delivered_;
    size_t wake_at_ = 0;           // 0: nobody waits
    std::vector<MapResult> done_;  // under mutex_
};

// Where apply() waits for its one result, on the caller's stack: the caller spins on
// state, then sleeps on it as a futex; the pool's thread wakes it only if it sleeps.
class ApplyResult {
  public:
    // The pool's thread: stores result and releases the caller, touching nothing of this
    // object afterwards but the futex word's address (a stale wake-up is harmless).
    void complete(TaskResult&& result);
    bool done() const { return state_.load(std::memory_order_acquire) == kDone; }
    // The caller: waits for complete(), spinning briefly, then yielding, then sleeping.
    TaskResult take();

  private:
    enum : uint32_t { kWaiting, kDone, kSleeping };
    std::atomic<uint32_t> state_{kWaiting};
    TaskResult result_;
};

// What waits for a submit() or apply() task's result: submit()'s promise, or an apply()
// call. (A map() task needs none, nor an entry in the supervisor's table of waiters: it
// carries its MapResults and index, in its submission and then in its inputs.)
struct TaskWaiter {
    std::optional<std::promise<std::string>> promise;
    ApplyResult* apply = nullptr;
    bool done = true;  // completed, or (in the supervisor's table) a free entry
};

class PoolQueue : public InputSource {
  public:
    // A task waiting for the supervisor: a map() task's payload, MapResults and index,
    // small because one crosses from the submitting core to the pool's per task; or a
    // submit() or apply() task's payload, with its task and waiter in a Call.
    struct Submission {
        std::string payload;
        MapResults* map = nullptr;
        uint64_t index = 0;  // map(): its index; else its Call's in the calls beside
    };

    // Any thread. Throw std::logic_error once closed.
    std::future<std::string> submit(std::string_view task, std::string payload);
    void submit_apply(std::string_view task, std::string payload, ApplyResult& result);
    // map() tasks (each with its MapResults and index), taken from tasks: tasks is left
    // empty, often with the capacity of a batch the supervisor has read (a map() call
    // submits batch after batch, and no task is moved twice). wake: false from a caller
    // that runs the supervisor's loop itself (it turns it next: nobody to wake).
    void submit_map(std::vector<Submission>& tasks, bool wake = true);
    // map() calls in progress, so that fail_all() can release them.
    void begin_map(MapResults& results);
    void end_map(MapResults& results);
    // Cancels what the supervisor has not read yet (completed here, cancelled) and asks
    // it to cancel what it holds but has not handed to a worker.
    void cancel_pending();
    // No more submissions; the supervisor finishes what it has, then its run ends.
    void close();
    // After the supervisor's run ended abnormally: every task still waiting fails.
    void fail_all(const std::string& why);

    // The supervisor's side (the pool's thread only). A job's inputs are its payload and
    // where its result goes: a map() call's MapResults and index (the MapResults holds
    // the task's name), or else the index of a waiter in the supervisor's table, then
    // the task's name. Read them through payload_of and task_of.
    bool next(std::vector<std::string>& inputs) override;
    static const std::string& payload_of(const std::vector<std::string>& inputs) {
        return inputs[0];
    }
    static std::string_view task_of(const std::vector<std::string>& inputs) {
        if (inputs.size() == kCallInputs) return inputs[2];
        MapResults* map;  // the first part of a map() task's reference to its results
        std::memcpy(&map, inputs[1].data(), sizeof map);
        return map->task();
    }
    bool exhausted() const override;
    int fd() const override { return exhausted() ? -1 : doorbell_.fd(); }
    void fill() override { doorbell_.drain(); }
    bool take_cancel_request() override;
    bool available() const override;
    void set_consumer_sleeping(bool sleeping) override {
        supervisor_sleeping_.store(sleeping, std::memory_order_seq_cst);
    }
    // Completes the task read with inputs, taking its result's strings: a future at once,
    // a map() call's result at the next flush().
    void complete(const std::vector<std::string>& inputs, JobResult&& result);
    void flush();

  private:
    static constexpr size_t kMapTaskInputs = 2;
    static constexpr size_t kCallInputs = 3;
    struct Call {
        std::string task;
        TaskWaiter waiter;
    };
    // Queues task and payload for waiter (submit() or apply()), waking the supervisor if
    // it sleeps.
    void push(std::string_view task, std::string&& payload, TaskWaiter&& waiter);
    // The caller holds mutex_. Throws std::logic_error once closed.
    void check_open_locked() const;
    // The caller holds mutex_, having queued submissions in shared_: makes them visible
    // to the supervisor; true if it sleeps and must be woken.
    bool publish_locked();
    // Submissions come in batches and stay in them until read: a map() call's batch
    // joins whole, so that no task is moved on its way; a submit() or apply() joins
    // the last batch. A batch read through is emptied and handed back to a map() call.
    using Batch = std::vector<Submission>;
    // The caller holds mutex_: an empty batch, with the capacity of one read through.
    Batch spare_batch_locked();
    // The supervisor's side: moves on past batches read through (after each read), so
    // that taken_left() need only look at the batch being read.
    void pass_read_batches();
    bool taken_left() const { return taken_batch_ < taken_.size(); }
    // Hands each submission taken but not yet read result (why it will never run),
    // which leaves them read through.
    void complete_unread(const TaskResult& result);
    // Hands result to waiter (exactly once per waiter).
    static void complete(TaskWaiter& waiter, TaskResult&& result);
    // Hands result to s's waiter, or its map() call's: staged, and its MapResults added
    // to staged_maps for flush(), if given; else delivered at once.
    static void complete(Submission& s, std::vector<Call>& calls, TaskResult&& result,
                         std::vector<MapResults*>* staged_maps);

    ipc::Doorbell doorbell_;
    mutable std::mutex mutex_;
    std::vector<Batch> shared_;             // under mutex_
    size_t shared_size_ = 0;                // under mutex_: submissions in shared_
    std::vector<Batch> spare_batches_;      // under mutex_
    std::vector<Call> shared_calls_;        // under mutex_
    std::vector<MapResults*> active_maps_;  // under mutex_
    std::atomic<size_t> shared_count_{0};
    std::atomic<bool> closed_{false};
    std::atomic<bool> cancel_requested_{false};
    // Whether the supervisor sleeps (or is about to): only then does a submission wake it.
    std::atomic<bool> supervisor_sleeping_{true};
    // The supervisor's side: the batches swapped out of shared_, and the waiters of the
    // submit() and apply() tasks it has read, reused once completed (so the table is as
    // large as the most such tasks the supervisor ever held at once, however long one of
    // them runs). Swapped with shared_ when read through, so that both keep their
    // capacity: no allocation per task in a steady stream.
    std::vector<Batch> taken_;
    std::vector<Call> taken_calls_;
    size_t taken_batch_ = 0;  // the batch of taken_ being read
    size_t taken_next_ = 0;   // the next of it to read
    std::vector<TaskWaiter> waiters_;
    std::vector<uint32_t> free_waiters_;
    std::vector<MapResults*> staged_maps_;  // those with results staged since flush()
};

}  // namespace ringrun
