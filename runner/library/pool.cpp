// ringrun::Pool: the library's face of the supervisor. The supervisor runs embedded on
// the pool's own thread (no signals taken, worker exits through pidfds), reading the
// PoolQueue as its input and completing each task's waiter as its sink. Must never
// leave a future unresolved: when the supervisor's run ends, every waiter has its
// result, or fails.

#include <algorithm>
#include <ringrun/pool.hpp>
#include <thread>

#include "runner/core/supervisor.hpp"
#include "runner/library/map_driver.hpp"
#include "runner/library/pool_queue.hpp"

namespace ringrun {
namespace {

// A pool job's inputs are laid out by the PoolQueue, and read through it.
class PoolJobs : public JobBuilder {
  public:
    void fill_job(uint64_t seq, uint32_t, const std::vector<std::string>& inputs,
                  JobSpec& job) const override {
        job.id = seq;
        job.kind = JobSpec::Kind::task;
        job.task_name = PoolQueue::task_of(inputs);
        job.payload = PoolQueue::payload_of(inputs);
        job.timeout_ms = 0;  // the supervisor applies the pool's
    }
    std::string command_line(uint64_t, uint32_t,
                             const std::vector<std::string>& inputs) const override {
        constexpr size_t kShown = 60;
        const std::string& payload = PoolQueue::payload_of(inputs);
        std::string line =
            std::string(PoolQueue::task_of(inputs)) + "(" + payload.substr(0, kShown);
        return line + (payload.size() > kShown ? "...)" : ")");
    }
    bool plain_task(const std::vector<std::string>& inputs, std::string_view& name,
                    std::string_view& payload) const override {
        name = PoolQueue::task_of(inputs);
        payload = PoolQueue::payload_of(inputs);
        return true;
    }
    bool is_task() const override { return true; }
};

// Hands each finished task to its waiter, and counts outcomes for stats().
class PoolSink : public JobSink {
  public:
    explicit PoolSink(PoolQueue& queue) : queue_(queue) {}
    bool job_finished(uint64_t, const std::vector<std::string>& inputs,
                      JobResult& result) override {
        count(result.status == JobStatus::ok ? succeeded : failed);
        queue_.complete(inputs, std::move(result));
        return true;
    }
    bool job_skipped(uint64_t, const std::vector<std::string>& inputs) override {
        count(failed);
        JobResult cancelled;
        cancelled.status = JobStatus::cancelled;
        cancelled.error_text = "cancelled before it started";
        queue_.complete(inputs, std::move(cancelled));
        return true;
    }
    void flush() override { queue_.flush(); }
    bool finish() override {
        queue_.flush();
        return true;
    }
    std::atomic<uint64_t> succeeded{0};
    std::atomic<uint64_t> failed{0};

  private:
    // Only the pool's thread counts (stats() only reads): no read-modify-write needed.
    static void count(std::atomic<uint64_t>& counter) {
        counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }

    PoolQueue& queue_;
};

SupervisorOptions supervisor_options(const PoolOptions& options) {
    SupervisorOptions s;
    s.embedded = true;
    s.backend = options.backend;
    s.workers =
        options.workers ? options.workers : std::max(1u, std::thread::hardware_concurrency());
    s.lost_attempts = 1 + options.retries;
    s.retries = options.retry_failures ? 1 + options.retries : 1;
    s.timeout_ms = static_cast<uint64_t>(options.timeout.count());
    s.max_restarts = options.max_restarts;
    s.restart_window = options.restart_window;
    s.recycling = {options.max_tasks_per_worker, options.max_worker_memory / 1024};
    s.memory_limit = options.backend == Backend::processes ? options.memory_limit : 0;
    // Read ahead only what the workers' credits can take (64 each) and as much again:
    // tasks wait in the PoolQueue until then, where cancelling them is cheap, and the
    // supervisor's bookkeeping stays small enough to stay in cache.
    s.input_window = 128 * s.workers;
    return s;
}

}  // namespace

const char* task_status_name(TaskStatus status) {
    switch (status) {
        case TaskStatus::ok:
            return "ok";
        case TaskStatus::failed:
            return "failed";
        case TaskStatus::timeout:
            return "timeout";
        case TaskStatus::lost:
            return "lost";
        case TaskStatus::cancelled:
            return "cancelled";
        case TaskStatus::memory_limit:
            return "memory_limit";
    }
    return "?";
}

class Pool::Engine {
  public:
    // Returns once the workers run: forked while the program's other threads wait here
    // rather than hold locks (the allocator's) that a fork would leave held in the child.
    explicit Engine(const PoolOptions& options)
        : options_(supervisor_options(options)),
          sink_(queue_),
          supervisor_(std::make_unique<Supervisor>(options_, jobs_, queue_, sink_, hooks(options))),
          thread_([this] { run(); }) {
        try {
            started_.get_future().get();
        } catch (...) {
            thread_.join();
            throw;
        }
    }

    ~Engine() { shutdown(Shutdown::drain); }

    void shutdown(Shutdown how) {
        std::lock_guard lock(shutdown_mutex_);
        if (!thread_.joinable()) return;
        if (how == Shutdown::cancel) queue_.cancel_pending();
        queue_.close();
        thread_.join();  // the run's end stopped and reaped the workers
    }

    void run() {
        std::string why;
        try {
            supervisor_->run();
            return;
        } catch (const std::exception& e) {
            why = std::string("the pool's supervisor failed: ") + e.what();
            if (!started_signalled_) {  // the constructor rethrows it
                started_.set_exception(std::current_exception());
                return;
            }
        }
        queue_.fail_all(why);
    }

    // The pool's start hook in every worker, and its constructor's wait for the workers.
    FrontEndHooks hooks(const PoolOptions& options) {
        FrontEndHooks h;
        h.before_first_task = options.worker_start;
        h.on_workers_started = [this] {
            started_signalled_ = true;
            started_.set_value();
        };
        return h;
    }

    SupervisorOptions options_;
    PoolQueue queue_;
    PoolJobs jobs_;
    PoolSink sink_;
    std::promise<void> started_;
    bool started_signalled_ = false;  // the pool's thread only
    std::unique_ptr<Supervisor> supervisor_;
    std::mutex shutdown_mutex_;
    std::thread thread_;
};

Pool::Pool(PoolOptions options) : engine_(std::make_unique<Engine>(options)) {}

Pool::~Pool() = default;

std::future<std::string> Pool::submit(std::string_view task, std::string payload) {
    return engine_->queue_.submit(task, std::move(payload));
}

// Drives the loop itself while its task is short (the pool's thread sleeps meanwhile),
// then, if the task is still running, gives the loop back and waits for it.
std::string Pool::apply(std::string_view task, std::string payload) {
    constexpr auto kDriveAtMost = std::chrono::microseconds(100);
    ApplyResult waiter;
    {
        struct Loan {  // given back however this block ends (submitting may throw)
            Supervisor& loop;
            const bool held = loop.borrow_loop();
            ~Loan() {
                if (held) loop.return_loop();
            }
        } loan{*engine_->supervisor_};
        engine_->queue_.submit_apply(task, std::move(payload), waiter);
        // Driven for kDriveAtMost at most; then the result is waited for as any other.
        const auto start = std::chrono::steady_clock::now();
        for (uint32_t idle = 0; loan.held && !waiter.done();) {
            if (loan.loop.turn() || ++idle % 64 != 0) continue;
            const auto driven = std::chrono::steady_clock::now() - start;
            if (driven > kDriveAtMost) break;
        }
    }
    TaskResult result = waiter.take();
    if (!result.ok()) throw TaskError(result.status, result.error, result.attempts);
    return std::move(result.value);
}

void Pool::cancel_pending() {
    engine_->queue_.cancel_pending();
}

void Pool::shutdown(Shutdown how) {
    engine_->shutdown(how);
}

size_t Pool::workers() const {
    return engine_->options_.workers;
}

Backend Pool::backend() const {
    return engine_->options_.backend;
}

PoolStats Pool::stats() const {
    PoolStats s;
    s.succeeded = engine_->sink_.succeeded.load(std::memory_order_relaxed);
    s.failed = engine_->sink_.failed.load(std::memory_order_relaxed);
    s.worker_restarts = engine_->supervisor_->restarts();
    return s;
}

// Keeps at most window tasks of this call in flight; the results of those in flight
// refer to this frame, so it never returns (or throws) before every one has come back.
void Pool::map_erased(std::string_view task, const std::function<bool(std::string&)>& next_payload,
                      const std::function<void(uint64_t, TaskResult&)>& on_result, size_t window) {
    constexpr size_t kBatch = 256;
    if (window == 0) window = std::max<size_t>(4096, 1024 * workers());
    MapResults results{std::string(task)};
    std::vector<PoolQueue::Submission> batch;
    std::vector<MapResult> done;
    TaskResult result;  // reused: each result's strings are swapped in
    std::string payload;
    uint64_t next_index = 0;
    size_t outstanding = 0;
    bool more = true;
    std::exception_ptr failure;          // from the range, on_result or a closed pool: rethrown
    engine_->queue_.begin_map(results);  // so that a failed supervisor's end releases us
    struct EndMap {
        PoolQueue& queue;
        MapResults& results;
        ~EndMap() { queue.end_map(results); }
    } end_map{engine_->queue_, results};
    MapDriver driver(*engine_->supervisor_);        // declared after end_map: gives back first
    auto work_from = MapDriver::thread_cpu_time();  // the caller's own work on its last results
    size_t last_results = 0;
    for (;;) {
        while (more && !failure && outstanding < window) {
            batch.clear();
            try {
                const size_t wanted = std::min(kBatch, window - outstanding);
                while (batch.size() < wanted && (more = next_payload(payload)))
                    batch.push_back({std::move(payload), &results, next_index + batch.size()});
                const size_t submitted = batch.size();
                if (submitted > 0) engine_->queue_.submit_map(batch, !driver.driving());
                next_index += submitted;
                outstanding += submitted;
            } catch (...) {
                failure = std::current_exception();
                break;
            }
        }
        if (outstanding == 0) break;
        if (driver.driving())
            driver.caller_worked(MapDriver::thread_cpu_time() - work_from, last_results);
        // Driving, whatever a turn delivered; else wake for a quarter of the window (the
        // rest keeps the workers busy meanwhile), or for the last ones.
        if (!driver.driving() || !driver.turn_until_results(results, done))
            results.take(done, std::min(outstanding, std::max<size_t>(1, window / 4)));
        if (driver.driving()) work_from = MapDriver::thread_cpu_time();
        last_results = done.size();
        if (done.empty()) {  // the pool's supervisor failed: the rest can never come
            if (!failure)
                failure =
                    std::make_exception_ptr(TaskError(TaskStatus::lost, results.failure(), 0));
            break;
        }
        for (MapResult& staged : done) {
            --outstanding;
            if (failure) continue;
            try {
                staged.take_into(result);
                on_result(staged.index, result);
            } catch (...) {
                failure = std::current_exception();
            }
        }
    }
    if (failure) std::rethrow_exception(failure);
}

}  // namespace ringrun
