// The supervisor's doorbell: one eventfd, made before fork, that every result ring rings
// when the supervisor sleeps. The supervisor waits on it in its single epoll.
// Must never block: it is non-blocking, and drain() reads whatever is there.
#pragma once

namespace ringrun::ipc {

class Doorbell {
  public:
    Doorbell();
    ~Doorbell();
    Doorbell(const Doorbell&) = delete;
    Doorbell& operator=(const Doorbell&) = delete;

    int fd() const { return fd_; }
    void drain();

  private:
    int fd_;
};

}  // namespace ringrun::ipc
