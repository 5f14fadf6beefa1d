// Argument lists and line streams as job inputs.
#include "runner/input_source.hpp"

#include <unistd.h>

#include "ipc/system_call.hpp"

namespace ringrun {

ArgumentProduct::ArgumentProduct(std::vector<std::vector<std::string>> lists)
    : lists_(std::move(lists)), position_(lists_.size(), 0), done_(lists_.empty()) {
    for (const auto& l : lists_) done_ |= l.empty();
}

bool ArgumentProduct::next(std::vector<std::string>& inputs) {
    if (done_) return false;
    inputs.resize(lists_.size());
    for (size_t i = 0; i < lists_.size(); ++i) inputs[i] = lists_[i][position_[i]];
    // Odometer: the last list varies fastest, as in GNU parallel.
    size_t i = lists_.size();
    while (i > 0) {
        --i;
        if (++position_[i] < lists_[i].size()) return true;
        position_[i] = 0;
    }
    done_ = true;
    return true;
}

LineStream::LineStream(int fd, char delimiter) : fd_(fd), delimiter_(delimiter) {}

bool LineStream::next(std::vector<std::string>& inputs) {
    size_t end = buffer_.find(delimiter_, offset_);
    if (end == std::string::npos) {
        if (!eof_ || offset_ >= buffer_.size()) return false;
        end = buffer_.size();  // a last line without a delimiter
    }
    inputs.resize(1);
    inputs[0].assign(buffer_, offset_, end - offset_);
    offset_ = std::min(end + 1, buffer_.size());
    return true;
}

void LineStream::fill() {
    if (eof_) return;
    if (offset_ > 0 && offset_ * 2 >= buffer_.size()) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    constexpr size_t kChunk = 64 * 1024;
    size_t old = buffer_.size();
    buffer_.resize(old + kChunk);
    ssize_t n =
        sys::checked("read", "input", [&] { return ::read(fd_, buffer_.data() + old, kChunk); });
    buffer_.resize(old + static_cast<size_t>(n));
    if (n == 0) eof_ = true;
}

}  // namespace ringrun
