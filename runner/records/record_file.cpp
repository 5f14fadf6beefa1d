// Record files are opened at their own name without following a symlink; a symlink is
// followed only when this user or root made it (the user's own link, /dev/stdout), and
// a regular file is written only when it is this user's.
#include "runner/records/record_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ipc/system_call.hpp"
#include "runner/core/exit_codes.hpp"

namespace ringrun {
namespace {

[[noreturn]] void refuse(const std::string& what, const std::string& path, const std::string& why) {
    throw UsageError("cannot write " + what + " '" + path + "': " + why);
}

int open_flags(RecordFileMode mode, bool readable) {
    return (readable ? O_RDWR : O_WRONLY) | O_CREAT | O_CLOEXEC | O_NOCTTY |
           (mode == RecordFileMode::append ? O_APPEND : 0);
}

// Opens path; a symlink only if its owner is trusted. -1 with errno on failure.
int open_at_name(const std::string& path, int flags, const std::string& what) {
    int fd = sys::retry_eintr([&] { return ::open(path.c_str(), flags | O_NOFOLLOW, 0644); });
    if (fd >= 0 || errno != ELOOP) return fd;
    struct stat link;
    if (::lstat(path.c_str(), &link) != 0) return -1;
    if (link.st_uid != ::geteuid() && link.st_uid != 0)
        refuse(what, path,
               "it is a symlink owned by another user (uid " + std::to_string(link.st_uid) +
                   "); refusing to follow it");
    return sys::retry_eintr([&] { return ::open(path.c_str(), flags, 0644); });
}

// Cuts a last row that has no newline (left by a full disk or a killed run), so that
// the rows appended next start on a line of their own.
void cut_torn_row(int fd, off_t size) {
    char buf[4096];
    off_t end = size;
    while (end > 0) {
        const off_t start = end > static_cast<off_t>(sizeof buf) ? end - sizeof buf : 0;
        const ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - start), start);
        if (n <= 0) return;  // unreadable: leave it as it is
        for (ssize_t i = n - 1; i >= 0; --i) {
            if (buf[i] != '\n') continue;
            if (start + i + 1 < size) (void)!::ftruncate(fd, start + i + 1);
            return;
        }
        end = start;
    }
    (void)!::ftruncate(fd, 0);  // not one whole row
}

}  // namespace

int open_record_file(const std::string& path, RecordFileMode mode, const std::string& what) {
    const bool append = mode == RecordFileMode::append;
    int fd = open_at_name(path, open_flags(mode, append), what);
    if (fd < 0 && append && errno == EACCES) fd = open_at_name(path, open_flags(mode, false), what);
    if (fd < 0) refuse(what, path, std::strerror(errno));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        const int error = errno;
        ::close(fd);
        refuse(what, path, std::strerror(error));
    }
    if (!S_ISREG(st.st_mode)) return fd;  // a terminal, a pipe, /dev/null: written as is
    if (st.st_uid != ::geteuid() || st.st_nlink > 1) {
        ::close(fd);
        refuse(what, path,
               st.st_uid != ::geteuid()
                   ? "it is owned by another user (uid " + std::to_string(st.st_uid) +
                         "); refusing to write into it"
                   : "it has other hard links; refusing to write into it");
    }
    if (!append) {
        if (st.st_size > 0 && ::ftruncate(fd, 0) != 0) {
            const int error = errno;
            ::close(fd);
            refuse(what, path, std::strerror(error));
        }
    } else if (st.st_size > 0) {
        cut_torn_row(fd, st.st_size);
    }
    return fd;
}

void write_row(int fd, std::string_view row, const std::string& what) {
    size_t done = 0;
    while (done < row.size()) {
        const ssize_t n =
            sys::retry_eintr([&] { return ::write(fd, row.data() + done, row.size() - done); });
        if (n < 0) {
            const int error = errno;
            struct stat st;
            if (done > 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                st.st_size >= static_cast<off_t>(done))
                (void)!::ftruncate(fd, st.st_size - static_cast<off_t>(done));
            throw sys::SystemError("write", what, error);
        }
        done += static_cast<size_t>(n);
    }
}

std::string read_record_file(int fd) {
    std::string text;
    char buf[65536];
    for (off_t at = 0;;) {
        const ssize_t n = sys::retry_eintr([&] { return ::pread(fd, buf, sizeof buf, at); });
        if (n <= 0) return text;
        text.append(buf, static_cast<size_t>(n));
        at += n;
    }
}

}  // namespace ringrun
