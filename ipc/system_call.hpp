// The one checked wrapper for system calls: retries EINTR, and on failure reports
// the call, its argument and errno. Everything in ringrun that talks to the kernel
// goes through here. It must never swallow an error silently.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ringrun::sys {

// A failed system call: what was called, on what, and errno.
class SystemError : public std::runtime_error {
  public:
    SystemError(std::string_view call, std::string_view argument, int error_number);
    int error_number() const { return error_number_; }

  private:
    int error_number_;
};

// Calls fn() until it does not fail with EINTR. Returns its result unchanged
// (so -1 with errno set is still visible): for call sites that handle errors.
template <typename Fn>
auto retry_eintr(Fn&& fn) -> decltype(fn()) {
    for (;;) {
        auto result = fn();
        if (result != -1 || errno != EINTR) return result;
    }
}

// Calls fn() (retrying EINTR) and throws SystemError if it still returns -1.
template <typename Fn>
auto checked(std::string_view call, std::string_view argument, Fn&& fn) -> decltype(fn()) {
    auto result = retry_eintr(fn);
    if (result == -1) throw SystemError(call, argument, errno);
    return result;
}

// For pthread-style calls that return an error number instead of setting errno.
void check_error_number(std::string_view call, std::string_view argument, int error_number);

// Writes all of buf to fd (retrying EINTR and short writes). Throws on failure.
void write_all(int fd, const void* buf, size_t len, std::string_view what);

}  // namespace ringrun::sys
