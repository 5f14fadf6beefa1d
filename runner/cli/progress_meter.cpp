// Progress lines for a terminal or a log.
#include "runner/cli/progress_meter.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace ringrun {
namespace {

std::string clock_text(double seconds) {
    auto s = static_cast<long long>(std::llround(seconds));
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    return buf;
}

}  // namespace

ProgressMeter::ProgressMeter(Options options)
    : options_(options),
      terminal_(isatty(options.fd) == 1),
      interval_(terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(2000)),
      started_(std::chrono::steady_clock::now()) {}

std::string ProgressMeter::line(uint64_t done, uint64_t failed, uint64_t running, uint64_t total,
                                double elapsed) const {
    if (total == 0) total = options_.total_jobs;
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    char buf[256];
    std::string text = "ringrun: " + std::to_string(done);
    if (total > 0) {
        std::snprintf(buf, sizeof buf, "/%llu jobs (%.0f%%)",
                      static_cast<unsigned long long>(total),
                      100.0 * static_cast<double>(done) / static_cast<double>(total));
        text += buf;
    } else {
        text += " jobs";
    }
    std::snprintf(buf, sizeof buf, ", %llu failed, %llu running, %.1f/s",
                  static_cast<unsigned long long>(failed), static_cast<unsigned long long>(running),
                  rate);
    text += buf;
    if ((options_.eta || options_.bar) && total > 0 && rate > 0 && done < total)
        text += ", ETA " + clock_text(static_cast<double>(total - done) / rate);
    if (options_.bar && total > 0) {
        constexpr size_t kWidth = 30;
        size_t filled = static_cast<size_t>(kWidth * std::min<uint64_t>(done, total) / total);
        text += " [" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
    }
    return text;
}

void ProgressMeter::update(const JobTally& tally, uint64_t running) {
    draw(tally.done(), tally.failed, running, tally.total, false);
}

void ProgressMeter::draw(uint64_t done, uint64_t failed, uint64_t running, uint64_t total,
                         bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && drawn_ && now - last_drawn_ < interval_) return;
    if (!force && !drawn_ && !terminal_ && now - started_ < interval_) return;
    last_drawn_ = now;
    drawn_ = true;
    std::string text =
        line(done, failed, running, total, std::chrono::duration<double>(now - started_).count());
    text = terminal_ ? "\r" + text + "\033[K" : text + "\n";
    (void)!::write(options_.fd, text.data(), text.size());
}

void ProgressMeter::finish(const JobTally& tally) {
    draw(tally.done(), tally.failed, 0, tally.total, true);
    if (terminal_) (void)!::write(options_.fd, "\n", 1);
}

}  // namespace ringrun
