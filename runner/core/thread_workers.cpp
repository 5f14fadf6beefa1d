// The threads backend: the same worker loop on one thread per slot, rings in private
// memory. It exists to contrast with processes: a crashing task takes the whole run down.
// Threads cannot be killed, so stop() waits for them to finish their current job.
#include <cstdlib>
#include <memory>
#include <thread>

#include "ipc/ring_set.hpp"
#include "ipc/run_directory.hpp"
#include "runner/core/worker_backend.hpp"
#include "worker/worker_loop.hpp"

namespace ringrun {
namespace {

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

// A thread cannot give its memory back by ending: thread workers are never recycled.
WorkerSettings without_recycling(WorkerSettings settings) {
    settings.recycling = {};
    return settings;
}

class ThreadWorkers : public WorkerBackend {
  public:
    // slot_offset: where this backend's slots start in status (and in slot numbering).
    ThreadWorkers(size_t slots, int doorbell_fd, ipc::SlotStatusTable& status,
                  const WorkerSettings& settings, size_t slot_offset)
        : slot_offset_(slot_offset),
          status_(status),
          settings_(without_recycling(settings)),
          memory_(allocate(ipc::RingSet::footprint(slots, {}))),
          rings_(memory_.get(), slots, {}, doorbell_fd),
          spill_(run_dir_.path()),
          threads_(slots) {}

    ~ThreadWorkers() override { stop(std::chrono::milliseconds(0)); }

    size_t slots() const override { return threads_.size(); }
    ipc::Ring& job_ring(size_t slot) override { return rings_.job_ring(slot); }
    ipc::Ring& result_ring(size_t slot) override { return rings_.result_ring(slot); }
    ipc::SpillDirectory& spill(size_t) override { return spill_; }
    pid_t pid(size_t) const override { return -1; }

    void start(size_t slot) override {
        threads_[slot] = std::thread([this, slot] {
            WorkerContext context(slot_offset_ + slot, rings_.job_ring(slot),
                                  rings_.result_ring(slot), run_dir_.path());
            context.configure(settings_, status_);
            run_worker_loop(context);
        });
    }

    std::vector<WorkerExit> reap() override { return {}; }

    void stop(std::chrono::milliseconds) override {
        for (size_t slot = 0; slot < threads_.size(); ++slot) rings_.job_ring(slot).close();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }

    void kill_all() override { status_.kill_command_groups(); }

  private:
    static std::unique_ptr<void, FreeDeleter> allocate(size_t bytes) {
        void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
        if (!p) throw std::bad_alloc();
        return std::unique_ptr<void, FreeDeleter>(p);
    }

    size_t slot_offset_;
    ipc::SlotStatusTable& status_;
    WorkerSettings settings_;
    ipc::RunDirectory run_dir_;
    std::unique_ptr<void, FreeDeleter> memory_;
    ipc::RingSet rings_;
    ipc::SpillDirectory spill_;
    std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<WorkerBackend> make_thread_workers(size_t slots, int doorbell_fd,
                                                   ipc::SlotStatusTable& status,
                                                   const WorkerSettings& settings,
                                                   size_t slot_offset) {
    return std::make_unique<ThreadWorkers>(slots, doorbell_fd, status, settings, slot_offset);
}

}  // namespace ringrun
