// Grouped (memory, then file) and line-buffered output of a running command.
#include "worker/output_capture.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "ipc/system_call.hpp"

namespace ringrun {

OutputCapture::OutputCapture(std::string& memory, std::string& file, Settings settings)
    : memory_(memory), file_(file), settings_(std::move(settings)) {}

OutputCapture::~OutputCapture() {
    if (fd_ >= 0) ::close(fd_);
}

void OutputCapture::append(const char* data, size_t size) {
    bytes_ += size;
    if (settings_.tail) settings_.tail->append(data, size);
    if (settings_.mode == OutputMode::line_buffer) {
        const bool ends_a_line = std::memchr(data, '\n', size) != nullptr;
        memory_.append(data, size);
        if (ends_a_line) write_lines(false);
        // A line longer than the limit waits in the file rather than fill memory; it
        // still goes out whole.
        if (memory_.size() > settings_.inline_limit) hold_partial_line();
        return;
    }
    if (fd_ < 0 &&
        (settings_.spill_path.empty() || memory_.size() + size <= settings_.inline_limit)) {
        memory_.append(data, size);
        return;
    }
    if (fd_ < 0) {
        fd_ = sys::checked("open", settings_.spill_path, [&] {
            return ::open(settings_.spill_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                          0600);
        });
        file_ = settings_.spill_path;
        sys::write_all(fd_, memory_.data(), memory_.size(), settings_.spill_path);
        memory_.clear();
        memory_.shrink_to_fit();
    }
    sys::write_all(fd_, data, size, settings_.spill_path);
}

void OutputCapture::hold_partial_line() {
    if (settings_.spill_path.empty()) {  // nowhere to hold it: out in pieces, at worst
        write_lines(true);
        return;
    }
    if (fd_ < 0)
        fd_ = sys::checked("open", settings_.spill_path, [&] {
            return ::open(settings_.spill_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
                          0600);
        });
    sys::write_all(fd_, memory_.data(), memory_.size(), settings_.spill_path);
    held_bytes_ += memory_.size();
    memory_.clear();
}

// The held start of a line, copied to the output (the caller holds the output lock).
void OutputCapture::write_held_line() {
    char buf[1 << 16];
    for (off_t at = 0; at < static_cast<off_t>(held_bytes_);) {
        const ssize_t n = sys::checked("pread", settings_.spill_path,
                                       [&] { return ::pread(fd_, buf, sizeof buf, at); });
        if (n == 0) break;
        sys::write_all(settings_.print_fd, buf, static_cast<size_t>(n), "output");
        at += n;
    }
    held_bytes_ = 0;
    (void)!::ftruncate(fd_, 0);
    (void)!::lseek(fd_, 0, SEEK_SET);
}

void OutputCapture::finish() {
    if (settings_.mode == OutputMode::line_buffer) {
        write_lines(true);
        if (fd_ >= 0) ::unlink(settings_.spill_path.c_str());  // held lines only: all out
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void OutputCapture::write_lines(bool everything) {
    size_t end = memory_.size();
    if (!everything) {
        size_t newline = memory_.rfind('\n');
        if (newline == std::string::npos) return;
        end = newline + 1;
    }
    const bool held = held_bytes_ > 0;
    if (end == 0 && !held) return;
    std::string out;
    const std::string_view pending(memory_.data(), end);
    size_t start = 0;
    while (start < pending.size()) {
        size_t nl = pending.find('\n', start);
        size_t stop = nl == std::string_view::npos ? pending.size() : nl + 1;
        if (start > 0 || !held) out += settings_.tag;  // a held line has its tag already
        out += pending.substr(start, stop - start);
        start = stop;
    }
    if (settings_.lock && settings_.lock->lock() == ipc::RobustMutex::LockOutcome::owner_died)
        settings_.lock->mark_consistent();  // it guards no state: a torn line at worst
    try {
        if (held) {
            sys::write_all(settings_.print_fd, settings_.tag.data(), settings_.tag.size(),
                           "output");
            write_held_line();
        }
        sys::write_all(settings_.print_fd, out.data(), out.size(), "output");
    } catch (const sys::SystemError&) {
        // The run's output is closed: the supervisor learns it from its own writes.
    }
    if (settings_.lock) settings_.lock->unlock();
    memory_.erase(0, end);
}

}  // namespace ringrun
