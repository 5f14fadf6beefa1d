// Formatting of system-call failures and the write-everything loop.
// Must never hide errno or the call's context.
#include "ipc/system_call.hpp"

#include <unistd.h>

#include <cstring>

namespace ringrun::sys {

SystemError::SystemError(std::string_view call, std::string_view argument, int error_number)
    : std::runtime_error(std::string(call) + "(" + std::string(argument) +
                         "): " + std::strerror(error_number)),
      error_number_(error_number) {}

void check_error_number(std::string_view call, std::string_view argument, int error_number) {
    if (error_number != 0) throw SystemError(call, argument, error_number);
}

void write_all(int fd, const void* buf, size_t len, std::string_view what) {
    const char* p = static_cast<const char*>(buf);
    while (len > 0) {
        ssize_t n = checked("write", what, [&] { return ::write(fd, p, len); });
        p += n;
        len -= static_cast<size_t>(n);
    }
}

}  // namespace ringrun::sys
