// epoll, signalfd and pidfds for the supervisor's loop. Signals are learnt through the
// signalfd, never inside a signal handler.
#include "runner/core/loop_events.hpp"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "ipc/system_call.hpp"

namespace ringrun {

LoopEvents::LoopEvents(bool embedded, size_t slots) : exit_fds_(slots, -1) {
    epoll_fd_ =
        sys::checked("epoll_create1", "supervisor", [] { return epoll_create1(EPOLL_CLOEXEC); });
    add(doorbell_.fd(), kDoorbell, EPOLLIN);
    if (embedded) return;
    signals_taken_ = true;
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGCHLD, SIGINT, SIGTERM}) sigaddset(&set, sig);
    sigprocmask(SIG_BLOCK, &set, &old_mask_);
    old_pipe_ = signal(SIGPIPE, SIG_IGN);
    signal_fd_ = sys::checked("signalfd", "SIGCHLD SIGINT SIGTERM",
                              [&] { return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC); });
    add(signal_fd_, kSignals, EPOLLIN);
}

LoopEvents::~LoopEvents() {
    for (int fd : exit_fds_)
        if (fd >= 0) ::close(fd);
    ::close(epoll_fd_);
    if (!signals_taken_) return;
    ::close(signal_fd_);
    signal(SIGPIPE, old_pipe_);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

void LoopEvents::watch_exit(size_t slot, pid_t pid) {
    if (signals_taken_ || pid <= 0) return;
    if (exit_fds_[slot] >= 0) ::close(exit_fds_[slot]);
    exit_fds_[slot] = sys::checked("pidfd_open", std::to_string(pid).c_str(), [&] {
        return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    });
    add(exit_fds_[slot], static_cast<LoopEvent>(kWorkerExit + slot), EPOLLIN);
}

void LoopEvents::unwatch_exit(size_t slot) {
    if (exit_fds_[slot] < 0) return;
    ::close(exit_fds_[slot]);  // leaves the epoll set with it
    exit_fds_[slot] = -1;
}

void LoopEvents::add(int fd, LoopEvent tag, uint32_t events) {
    struct epoll_event ev {};
    ev.events = events;
    ev.data.u64 = tag;
    sys::checked("epoll_ctl", "add", [&] { return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev); });
}

bool LoopEvents::arm_input(int fd) {
    struct epoll_event ev {};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = kInput;
    int op = input_registered_ ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(epoll_fd_, op, fd, &ev) == 0) {
        input_registered_ = true;
        return true;
    }
    if (errno == EPERM) return false;
    throw sys::SystemError("epoll_ctl", "input", errno);
}

int LoopEvents::wait(struct epoll_event* events, int max, int timeout_ms) {
    int n = epoll_wait(epoll_fd_, events, max, timeout_ms);
    if (n < 0 && errno != EINTR) throw sys::SystemError("epoll_wait", "supervisor", errno);
    return n < 0 ? 0 : n;
}

int LoopEvents::next_signal() {
    struct signalfd_siginfo info;
    ssize_t n = sys::retry_eintr([&] { return ::read(signal_fd_, &info, sizeof info); });
    return n == sizeof info ? static_cast<int>(info.ssi_signo) : 0;
}

}  // namespace ringrun
