// The kernel-facing side of the supervisor's loop: the signal mask and signalfd (SIGCHLD,
// SIGINT, SIGTERM), epoll, the doorbell the result rings ring, and, embedded, a pidfd per
// worker. Embedded, it touches no signal. Must never decide anything: it only reports.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "ipc/doorbell.hpp"

struct epoll_event;  // <sys/epoll.h>

namespace ringrun {

// What woke the loop (epoll's data); a worker's exit (embedded) is kWorkerExit + slot.
enum LoopEvent : uint64_t { kDoorbell = 1, kSignals = 2, kInput = 3, kWorkerExit = 16 };

class LoopEvents {
  public:
    LoopEvents(bool embedded, size_t slots);
    ~LoopEvents();
    LoopEvents(const LoopEvents&) = delete;
    LoopEvents& operator=(const LoopEvents&) = delete;

    // Embedded: wakes the loop when slot's worker process pid exits (replacing the watch
    // on its predecessor).
    void watch_exit(size_t slot, pid_t pid);
    void unwatch_exit(size_t slot);
    // Arms a one-shot interest in fd's readability. False if fd cannot be polled
    // (a regular file: it is always readable).
    bool arm_input(int fd);
    // epoll_wait; 0 when interrupted.
    int wait(struct epoll_event* events, int max, int timeout_ms);
    // Returns the next pending signal, or 0.
    int next_signal();
    ipc::Doorbell& doorbell() { return doorbell_; }

  private:
    void add(int fd, LoopEvent tag, uint32_t events);

    ipc::Doorbell doorbell_;
    sigset_t old_mask_;
    void (*old_pipe_)(int) = nullptr;
    int signal_fd_ = -1;
    int epoll_fd_ = -1;
    bool signals_taken_ = false;
    bool input_registered_ = false;
    std::vector<int> exit_fds_;  // embedded: a pidfd per worker process
};

}  // namespace ringrun
