// futex(2) wait and wake on a shared 32-bit word. Errors other than the expected
// EAGAIN/ETIMEDOUT/EINTR are programming errors and are reported, never ignored.
#include "ipc/futex_word.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "ipc/system_call.hpp"

namespace ringrun::ipc {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, std::chrono::nanoseconds timeout) {
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    long rc = syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, expected, &ts,
                      nullptr, 0);
    if (rc == -1 && errno != EAGAIN && errno != ETIMEDOUT && errno != EINTR)
        throw sys::SystemError("futex", "FUTEX_WAIT", errno);
}

void futex_wake_all(std::atomic<uint32_t>& word) {
    long rc = syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr,
                      nullptr, 0);
    if (rc == -1) throw sys::SystemError("futex", "FUTEX_WAKE", errno);
}

}  // namespace ringrun::ipc
