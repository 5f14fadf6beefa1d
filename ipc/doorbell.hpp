// A doorbell: one eventfd that wakes the supervisor from its single epoll. Every result
// ring rings one (made before fork) when the supervisor sleeps; the library's submission
// queue rings another. Must never block: it is non-blocking, and drain() reads whatever
// is there.
#pragma once

namespace ringrun::ipc {

class Doorbell {
  public:
    Doorbell();
    ~Doorbell();
    Doorbell(const Doorbell&) = delete;
    Doorbell& operator=(const Doorbell&) = delete;

    int fd() const { return fd_; }
    void ring() { ring(fd_); }
    // Rings the doorbell whose eventfd is fd (a ring knows only its doorbell's fd).
    static void ring(int fd);
    void drain();

  private:
    int fd_;
};

}  // namespace ringrun::ipc
