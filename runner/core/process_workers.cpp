// The process backend: one forked worker process per slot, its ring pair in the run's
// shared segment. Workers die with the supervisor (PR_SET_PDEATHSIG) and ignore SIGINT
// (the supervisor decides what an interrupt means). Must never leave a worker unreaped.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>

#include "ipc/ring_set.hpp"
#include "ipc/run_directory.hpp"
#include "ipc/shared_segment.hpp"
#include "ipc/system_call.hpp"
#include "runner/core/worker_backend.hpp"
#include "worker/descendants.hpp"
#include "worker/process_title.hpp"
#include "worker/worker_loop.hpp"

namespace ringrun {
namespace {

class ProcessWorkers : public WorkerBackend {
    struct Standby {  // a slot's next worker, forked ahead (prepare)
        pid_t pid = -1;
        int go_fd = -1;  // a byte sent here lets it go; closed, it exits
    };

  public:
    // slot_offset: where this backend's slots start in status (and in slot numbering).
    ProcessWorkers(size_t slots, int doorbell_fd, ipc::SlotStatusTable& status,
                   const WorkerSettings& settings, size_t slot_offset = 0)
        : slot_offset_(slot_offset),
          status_(status),
          settings_(settings),
          segment_(ipc::SharedSegment::create_for_run(ipc::RingSet::footprint(slots, {}))),
          rings_(segment_.base(), slots, {}, doorbell_fd),
          spill_(run_dir_.path()),
          pids_(slots, -1),
          standbys_(slots) {
        (void)tsc_keeps_kernel_time();  // read here, once: forked workers inherit it
    }

    ~ProcessWorkers() override { kill_all(); }

    size_t slots() const override { return pids_.size(); }
    ipc::Ring& job_ring(size_t slot) override { return rings_.job_ring(slot); }
    ipc::Ring& result_ring(size_t slot) override { return rings_.result_ring(slot); }
    ipc::SpillDirectory& spill(size_t) override { return spill_; }
    pid_t pid(size_t slot) const override { return pids_[slot]; }

    void start(size_t slot) override {
        Standby& standby = standbys_[slot];
        if (standby.pid > 0 && standby_alive(standby) &&
            sys::retry_eintr([&] { return ::send(standby.go_fd, "g", 1, MSG_NOSIGNAL); }) == 1) {
            pids_[slot] = standby.pid;
            ::close(standby.go_fd);
            standby = Standby{};
            return;
        }
        forget(standby);
        pids_[slot] = fork_worker(slot, -1);
    }

    void prepare(size_t slot) override {
        Standby& standby = standbys_[slot];
        if (standby.pid > 0) return;
        int go[2];  // a socket pair, not a pipe: a send to a dead standby must not SIGPIPE
        sys::checked("socketpair", "standby worker",
                     [&] { return ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go); });
        standby.pid = fork_worker(slot, go[0]);
        ::close(go[0]);
        standby.go_fd = go[1];
    }

    // Only this backend's workers: the supervisor's other children (thread workers'
    // commands, the orphan reaper) are waited for by whoever started them.
    std::vector<WorkerExit> reap() override {
        std::vector<WorkerExit> exits;
        for (size_t slot = 0; slot < pids_.size(); ++slot) {
            if (pids_[slot] <= 0) continue;
            int status = 0;
            struct rusage usage {};
            pid_t pid =
                sys::retry_eintr([&] { return wait4(pids_[slot], &status, WNOHANG, &usage); });
            if (pid != pids_[slot]) continue;
            exits.push_back({slot_offset_ + slot, pid, status, usage.ru_maxrss});
            pids_[slot] = -1;
        }
        return exits;
    }

    void stop(std::chrono::milliseconds timeout) override {
        for (Standby& standby : standbys_) forget(standby);
        for (size_t slot = 0; slot < pids_.size(); ++slot) rings_.job_ring(slot).close();
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (running() && std::chrono::steady_clock::now() < deadline) {
            reap();
            if (running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        kill_all();
    }

    void kill_all() override {
        for (Standby& standby : standbys_) forget(standby);
        for (pid_t& pid : pids_) {
            if (pid <= 0) continue;
            kill(pid, SIGKILL);
            sys::retry_eintr([&] { return waitpid(pid, nullptr, 0); });
            pid = -1;
        }
        status_.kill_command_groups();
    }

  private:
    bool running() const {
        for (pid_t pid : pids_)
            if (pid > 0) return true;
        return false;
    }

    // A worker that waits for its go (go_fd >= 0: a standby) or starts at once.
    pid_t fork_worker(size_t slot, int go_fd) {
        const pid_t parent = getpid();
        pid_t pid = sys::checked("fork", "worker", [] { return fork(); });
        if (pid == 0) run_child(slot, parent, go_fd);
        return pid;
    }

    // Whether a standby is still there to be let go (not dead, say by an outside kill).
    static bool standby_alive(Standby& standby) {
        if (sys::retry_eintr([&] { return waitpid(standby.pid, nullptr, WNOHANG); }) == 0)
            return true;
        standby.pid = -1;  // reaped now: never to be killed by a pid that may be reused
        return false;
    }

    // Ends a standby that will not be used (if any), and reaps it.
    static void forget(Standby& standby) {
        if (standby.pid > 0) {
            kill(standby.pid, SIGKILL);
            sys::retry_eintr([&] { return waitpid(standby.pid, nullptr, 0); });
        }
        if (standby.go_fd >= 0) ::close(standby.go_fd);
        standby = Standby{};
    }

    [[noreturn]] void run_child(size_t slot, pid_t parent, int go_fd) {
        segment_.disown();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(0);  // the supervisor died before prctl took effect
        if (go_fd >= 0) {                   // a standby: waits, forked, until its slot needs it
            set_process_title("ringrun: standby worker " + std::to_string(slot_offset_ + slot + 1));
            char go = 0;
            if (sys::retry_eintr([&] { return ::read(go_fd, &go, 1); }) != 1) _exit(0);
            ::close(go_fd);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        set_process_title("ringrun: worker " + std::to_string(slot_offset_ + slot + 1));
        WorkerContext context(slot_offset_ + slot, rings_.job_ring(slot), rings_.result_ring(slot),
                              run_dir_.path());
        context.configure(settings_, status_);
        context.own_process = true;
        context.faults = fault_plan_from_environment();
        stall_first_start_if_asked();
        adopt_descendants();  // nothing a command starts outlives this worker
        try {
            run_worker_loop(context);
        } catch (const std::exception& e) {
            std::string line =
                "ringrun: worker " + std::to_string(slot + 1) + ": " + e.what() + "\n";
            (void)!::write(2, line.data(), line.size());
            kill_descendants();
            _exit(70);
        }
        kill_descendants();
        _exit(0);
    }

    size_t slot_offset_;
    ipc::SlotStatusTable& status_;
    WorkerSettings settings_;
    ipc::RunDirectory run_dir_;
    ipc::SharedSegment segment_;
    ipc::RingSet rings_;
    ipc::SpillDirectory spill_;
    std::vector<pid_t> pids_;
    std::vector<Standby> standbys_;
};

}  // namespace

std::unique_ptr<WorkerBackend> make_thread_workers(size_t slots, int doorbell_fd,
                                                   ipc::SlotStatusTable& status,
                                                   const WorkerSettings& settings,
                                                   size_t slot_offset = 0);

// Process slots first, then thread slots, each delegated to its own backend.
class MixedWorkers : public WorkerBackend {
  public:
    MixedWorkers(size_t process_slots, size_t thread_slots, int doorbell_fd,
                 ipc::SlotStatusTable& status, const WorkerSettings& settings)
        : split_(process_slots),
          processes_(
              std::make_unique<ProcessWorkers>(process_slots, doorbell_fd, status, settings)),
          threads_(
              make_thread_workers(thread_slots, doorbell_fd, status, settings, process_slots)) {}

    size_t slots() const override { return split_ + threads_->slots(); }
    ipc::Ring& job_ring(size_t slot) override { return part(slot).job_ring(local(slot)); }
    ipc::Ring& result_ring(size_t slot) override { return part(slot).result_ring(local(slot)); }
    ipc::SpillDirectory& spill(size_t slot) override { return part(slot).spill(local(slot)); }
    void start(size_t slot) override { part(slot).start(local(slot)); }
    void prepare(size_t slot) override { part(slot).prepare(local(slot)); }
    std::vector<WorkerExit> reap() override { return processes_->reap(); }
    void stop(std::chrono::milliseconds timeout) override {
        processes_->stop(timeout);
        threads_->stop(timeout);
    }
    void kill_all() override {
        processes_->kill_all();
        threads_->kill_all();
    }
    pid_t pid(size_t slot) const override { return slot < split_ ? processes_->pid(slot) : -1; }

  private:
    WorkerBackend& part(size_t slot) { return slot < split_ ? *processes_ : *threads_; }
    size_t local(size_t slot) const { return slot < split_ ? slot : slot - split_; }
    size_t split_;
    std::unique_ptr<WorkerBackend> processes_;
    std::unique_ptr<WorkerBackend> threads_;
};

std::unique_ptr<WorkerBackend> make_worker_backend(Backend backend, size_t slots, int doorbell_fd,
                                                   ipc::SlotStatusTable& status,
                                                   const WorkerSettings& settings) {
    if (backend == Backend::threads)
        return make_thread_workers(slots, doorbell_fd, status, settings);
    return std::make_unique<ProcessWorkers>(slots, doorbell_fd, status, settings);
}

std::unique_ptr<WorkerBackend> make_mixed_workers(size_t process_slots, size_t thread_slots,
                                                  int doorbell_fd, ipc::SlotStatusTable& status,
                                                  const WorkerSettings& settings) {
    return std::make_unique<MixedWorkers>(process_slots, thread_slots, doorbell_fd, status,
                                          settings);
}

}  // namespace ringrun
