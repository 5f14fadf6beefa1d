// ringrun::Pool: runs registered tasks (see ringrun/task.hpp) on worker processes or
// threads, for programs that want crash-isolated parallelism without spawning a
// command per job. A worker that crashes is replaced and its tasks are retried; the
// pool stays usable whatever its workers do. The pool's own thread dispatches and
// gathers; it never takes over the program's signals.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <ranges>
#include <ringrun/backend.hpp>
#include <ringrun/task.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace ringrun {

struct PoolOptions {
    Backend backend = Backend::processes;
    size_t workers = 0;  // 0: one per core
    // A task whose worker died under it (crash, kill, OOM) runs again up to this many
    // more times; its future fails only after the last attempt.
    uint32_t retries = 2;
    bool retry_failures = false;  // retry a task that failed (threw, or returned !ok) too
    // 0: none. On processes an overrunning task's worker is killed and replaced, and the
    // task fails with TaskStatus::timeout; a thread cannot be killed, so the threads
    // backend does not enforce it.
    std::chrono::milliseconds timeout{0};
    // Restart intensity: more than max_restarts worker replacements within restart_window
    // fail the tasks waiting, and replacements wait until the window has room again.
    size_t max_restarts = 50;
    std::chrono::milliseconds restart_window{10'000};
    // Worker recycling (processes only), as multiprocessing's maxtasksperchild: a worker
    // is replaced after this many tasks, or once its RSS has grown past this many bytes,
    // between tasks, never in the middle of one. Its successor is forked ahead, and
    // recycling is never a restart. 0: never.
    uint64_t max_tasks_per_worker = 0;
    uint64_t max_worker_memory = 0;
    // Each task may grow its worker's address space by at most this many bytes
    // (processes only): one that allocates past it fails with TaskStatus::memory_limit,
    // and its worker goes on. 0: no limit.
    uint64_t memory_limit = 0;
    // Runs in each worker before its first task (once per worker process or thread): a
    // place for expensive set-up that tasks share, such as loading a model. If it throws,
    // that task fails with its message, and the worker's next task tries it again.
    std::function<void()> worker_start;
};

enum class TaskStatus {
    ok,
    failed,        // the task threw, returned !ok, or is not registered
    timeout,       // it overran PoolOptions::timeout
    lost,          // its worker died under it on every attempt
    cancelled,     // cancel_pending() or shutdown(Shutdown::cancel) before it started
    memory_limit,  // it allocated past PoolOptions::memory_limit
};
const char* task_status_name(TaskStatus status);

struct TaskResult {
    TaskStatus status = TaskStatus::ok;
    std::string value;  // ok: what the task returned
    std::string error;  // otherwise: why, in one line
    uint32_t attempts = 1;
    bool ok() const { return status == TaskStatus::ok; }
};

// What a submitted task's future throws when the task did not succeed.
class TaskError : public std::runtime_error {
  public:
    TaskError(TaskStatus status, const std::string& message, uint32_t attempts)
        : std::runtime_error(message), status_(status), attempts_(attempts) {}
    TaskStatus status() const { return status_; }
    uint32_t attempts() const { return attempts_; }

  private:
    TaskStatus status_;
    uint32_t attempts_;
};

struct PoolStats {
    uint64_t succeeded = 0;
    uint64_t failed = 0;  // every outcome but ok
    uint64_t worker_restarts = 0;
};

class Pool {
  public:
    // Starts the workers (forks them from this program, for processes). Throws
    // std::system_error or std::runtime_error if they cannot be started.
    explicit Pool(PoolOptions options = {});
    // Drains: waits for every submitted task, then stops the workers.
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // Runs task on payload. The future holds the task's value, or throws TaskError.
    // Throws std::logic_error after shutdown().
    std::future<std::string> submit(std::string_view task, std::string payload);
    // Runs task on payload and waits for it here (as Python's Pool.apply): returns the
    // task's value, or throws TaskError. The wait spins, then yields, before it sleeps, so
    // a short task's round trip costs no sleep and wake-up: the quickest way to run one
    // task at a time. Throws std::logic_error after shutdown().
    std::string apply(std::string_view task, std::string payload);

    // Runs task on every element of payloads (each convertible to std::string), with at
    // most window tasks in flight (0: a default), so that memory stays bounded however
    // long the range. on_result(index, TaskResult&) is called on this thread, in
    // completion order, once per element (with one TaskResult reused from call to call:
    // move out what you keep). Returns when all have completed. If the pool's
    // supervisor itself fails (it cannot start a worker, say), the tasks it held never
    // come back: map throws TaskError(lost) after handing on_result those that did.
    template <std::ranges::input_range Payloads, typename OnResult>
    void map(std::string_view task, Payloads&& payloads, OnResult&& on_result, size_t window = 0) {
        auto it = std::ranges::begin(payloads);
        auto end = std::ranges::end(payloads);
        map_erased(
            task,
            [&](std::string& payload) {
                if (it == end) return false;
                payload = std::string(*it);
                ++it;
                return true;
            },
            [&](uint64_t index, TaskResult& result) { on_result(index, result); }, window);
    }

    // Cancels every task submitted but not yet handed to a worker: their futures throw
    // TaskError(cancelled). Tasks already in a worker finish. The pool stays usable.
    void cancel_pending();

    enum class Shutdown { drain, cancel };
    // drain: waits for every task; cancel: cancels what has not started, waits for the
    // rest. Either way the workers are stopped; later submissions throw. Idempotent.
    void shutdown(Shutdown how = Shutdown::drain);

    size_t workers() const;
    Backend backend() const;
    PoolStats stats() const;

  private:
    void map_erased(std::string_view task, const std::function<bool(std::string&)>& next_payload,
                    const std::function<void(uint64_t, TaskResult&)>& on_result, size_t window);
    class Engine;
    std::unique_ptr<Engine> engine_;
};

}  // namespace ringrun
