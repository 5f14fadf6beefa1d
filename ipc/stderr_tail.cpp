// A byte ring of the command's latest stderr; lines are cut out only when it is read.
#include "ipc/stderr_tail.hpp"

#include <algorithm>
#include <vector>

namespace ringrun::ipc {

void StderrTail::append(const char* data, size_t size) {
    uint64_t written = written_.load(std::memory_order_relaxed);
    const size_t keep = std::min(size, kBytes);
    data += size - keep;
    written += size - keep;
    for (size_t i = 0; i < keep; ++i) bytes_[(written + i) % kBytes] = data[i];
    written_.store(written + keep, std::memory_order_release);
}

std::string StderrTail::last_lines(size_t max_lines) const {
    const uint64_t written = written_.load(std::memory_order_acquire);
    const uint64_t kept = std::min<uint64_t>(written, kBytes);
    std::string text;
    for (uint64_t i = written - kept; i < written; ++i) text += bytes_[i % kBytes];
    if (kept < written) {  // the first line is cut: drop it, unless it is all there is
        const size_t newline = text.find('\n');
        if (newline != std::string::npos && newline + 1 < text.size()) text.erase(0, newline + 1);
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    std::vector<std::string> lines;
    size_t end = text.size();
    while (lines.size() < max_lines && end > 0) {
        const size_t newline = text.rfind('\n', end - 1);
        const size_t start = newline == std::string::npos ? 0 : newline + 1;
        if (start < end) lines.push_back(text.substr(start, end - start));
        if (newline == std::string::npos) break;
        end = newline;
    }
    std::string joined;
    for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
        if (!joined.empty()) joined += " | ";
        for (char c : *line)
            joined += (static_cast<unsigned char>(c) < 0x20 && c != '\t') ? '?' : c;
    }
    return joined;
}

}  // namespace ringrun::ipc
