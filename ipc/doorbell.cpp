// eventfd wrapper for the supervisor's doorbell.
#include "ipc/doorbell.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "ipc/system_call.hpp"

namespace ringrun::ipc {

Doorbell::Doorbell()
    : fd_(sys::checked("eventfd", "doorbell",
                       [] { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); })) {}

Doorbell::~Doorbell() {
    ::close(fd_);
}

void Doorbell::ring(int fd) {
    const uint64_t one = 1;
    // EAGAIN only if the counter is about to overflow: the doorbell is ringing anyway.
    (void)sys::retry_eintr([&] { return ::write(fd, &one, sizeof one); });
}

void Doorbell::drain() {
    uint64_t count;
    (void)sys::retry_eintr([&] { return ::read(fd_, &count, sizeof count); });
}

}  // namespace ringrun::ipc
