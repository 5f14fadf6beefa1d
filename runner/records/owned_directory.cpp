// Walking and writing a results tree relative to directory descriptors.
#include "runner/records/owned_directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ipc/system_call.hpp"
#include "runner/core/exit_codes.hpp"

namespace ringrun {
namespace {

[[noreturn]] void refuse(const std::string& what, const std::string& path, const std::string& why) {
    throw UsageError("cannot write " + what + " '" + path + "': " + why);
}

// The directory's owner, checked: this user's, or root's when top (/tmp, /).
void check_owner(int fd, const std::string& what, const std::string& path, bool top) {
    struct stat st;
    if (::fstat(fd, &st) != 0) refuse(what, path, std::strerror(errno));
    if (st.st_uid == ::geteuid() || (top && st.st_uid == 0)) return;
    ::close(fd);
    refuse(what, path,
           "it is owned by another user (uid " + std::to_string(st.st_uid) +
               "); refusing to write into it");
}

}  // namespace

OwnedDirectory::OwnedDirectory(int fd, std::string path, std::string what)
    : fd_(fd), path_(std::move(path)), what_(std::move(what)) {}

OwnedDirectory::OwnedDirectory(OwnedDirectory&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), what_(std::move(other.what_)) {
    other.fd_ = -1;
}

OwnedDirectory::~OwnedDirectory() {
    if (fd_ >= 0) ::close(fd_);
}

OwnedDirectory OwnedDirectory::open_top(const std::string& path, const std::string& what) {
    const std::string dir = path.empty() ? "." : path;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) refuse(what, dir, ec.message());
    const int fd =
        sys::retry_eintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) refuse(what, dir, std::strerror(errno));
    check_owner(fd, what, dir, true);
    return OwnedDirectory(fd, dir, what);
}

OwnedDirectory OwnedDirectory::below(std::string_view relative) const {
    int fd = sys::retry_eintr([&] { return ::dup(fd_); });
    if (fd < 0) refuse(what_, path_, std::strerror(errno));
    std::string path = path_;
    while (!relative.empty()) {
        const size_t slash = relative.find('/');
        const std::string name(relative.substr(0, slash));
        relative = slash == std::string_view::npos ? "" : relative.substr(slash + 1);
        if (name.empty() || name == ".") continue;
        path += "/" + name;
        if (name == "..") {
            ::close(fd);
            refuse(what_, path, "a path that climbs out with '..'");
        }
        if (::mkdirat(fd, name.c_str(), 0755) != 0 && errno != EEXIST) {
            const int error = errno;
            ::close(fd);
            refuse(what_, path, std::strerror(error));
        }
        const int next = sys::retry_eintr([&] {
            return ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        });
        const int error = errno;
        ::close(fd);
        if (next < 0)
            refuse(what_, path,
                   error == ELOOP || error == ENOTDIR
                       ? "it is a symlink or not a directory; refusing to follow it"
                       : std::strerror(error));
        check_owner(next, what_, path, false);
        fd = next;
    }
    return OwnedDirectory(fd, path, what_);
}

int OwnedDirectory::new_file(const std::string& name) const {
    if (::unlinkat(fd_, name.c_str(), 0) != 0 && errno != ENOENT)
        refuse(what_, path_ + "/" + name, std::strerror(errno));
    const int fd = sys::retry_eintr([&] {
        return ::openat(fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0644);
    });
    if (fd < 0) refuse(what_, path_ + "/" + name, std::strerror(errno));
    return fd;
}

void OwnedDirectory::write_file(const std::string& name, std::string_view text) const {
    const int fd = new_file(name);
    try {
        sys::write_all(fd, text.data(), text.size(), path_ + "/" + name);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

void OwnedDirectory::link_file(const std::string& name, const std::string& source) const {
    if (::unlinkat(fd_, name.c_str(), 0) != 0 && errno != ENOENT)
        refuse(what_, path_ + "/" + name, std::strerror(errno));
    if (::linkat(AT_FDCWD, source.c_str(), fd_, name.c_str(), 0) == 0) return;
    const int in =
        sys::checked("open", source, [&] { return ::open(source.c_str(), O_RDONLY | O_CLOEXEC); });
    const int out = new_file(name);
    char buf[1 << 16];
    try {
        for (;;) {
            const ssize_t n =
                sys::checked("read", source, [&] { return ::read(in, buf, sizeof buf); });
            if (n == 0) break;
            sys::write_all(out, buf, static_cast<size_t>(n), path_ + "/" + name);
        }
    } catch (...) {
        ::close(in);
        ::close(out);
        throw;
    }
    ::close(in);
    ::close(out);
}

}  // namespace ringrun
