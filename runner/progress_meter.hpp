// --bar, --progress, --eta on stderr. On a terminal: one line redrawn in place ten
// times a second (done/total, percentage, failures, running, rate, ETA, a bar). Not on a
// terminal: a plain line every few seconds and one at the end, so logs stay readable.
// Must never write to stdout, and never more often than its interval.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ringrun {

class ProgressMeter {
  public:
    struct Options {
        bool bar = false;
        bool eta = false;
        int fd = 2;
        uint64_t total_jobs = 0;  // --total-jobs: the total before input is all read
    };
    explicit ProgressMeter(Options options);

    // total: 0 while not known. Draws if the interval has passed (or force).
    void update(uint64_t done, uint64_t failed, uint64_t running, uint64_t total,
                bool force = false);
    // The last line (ends the terminal line).
    void finish(uint64_t done, uint64_t failed, uint64_t total);
    std::chrono::milliseconds interval() const { return interval_; }

  private:
    std::string line(uint64_t done, uint64_t failed, uint64_t running, uint64_t total,
                     double elapsed_seconds) const;
    Options options_;
    bool terminal_;
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_drawn_;
    bool drawn_ = false;
};

}  // namespace ringrun
