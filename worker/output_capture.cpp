// Grouped (memory, then file) and line-buffered output of a running command.
#include "worker/output_capture.hpp"

#include <fcntl.h>
#include <unistd.h>

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
        memory_.append(data, size);
        // A line longer than the limit goes out in pieces rather than fill memory.
        write_lines(memory_.size() > settings_.inline_limit);
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

void OutputCapture::finish() {
    if (settings_.mode == OutputMode::line_buffer) write_lines(true);
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
    if (end == 0) return;
    std::string out;
    const std::string_view pending(memory_.data(), end);
    if (settings_.tag.empty()) {
        out.assign(pending);
    } else {
        size_t start = 0;
        while (start < pending.size()) {
            size_t nl = pending.find('\n', start);
            size_t stop = nl == std::string_view::npos ? pending.size() : nl + 1;
            out += settings_.tag;
            out += pending.substr(start, stop - start);
            start = stop;
        }
    }
    if (settings_.lock && settings_.lock->lock() == ipc::RobustMutex::LockOutcome::owner_died)
        settings_.lock->mark_consistent();  // it guards no state: a torn line at worst
    try {
        sys::write_all(settings_.print_fd, out.data(), out.size(), "output");
    } catch (const sys::SystemError&) {
        // The run's output is closed: the supervisor learns it from its own writes.
    }
    if (settings_.lock) settings_.lock->unlock();
    memory_.erase(0, end);
}

}  // namespace ringrun
