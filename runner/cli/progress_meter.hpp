// --bar, --progress, --eta on stderr. On a terminal: one line redrawn in place ten
// times a second (done/total, percentage, failures, running, rate, ETA, a bar). Not on a
// terminal: a plain line every few seconds and one at the end, so logs stay readable.
// Must never write to stdout, and never more often than its interval.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "runner/core/front_end_hooks.hpp"

namespace ringrun {

class ProgressMeter : public ProgressListener {
  public:
    struct Options {
        bool bar = false;
        bool eta = false;
        int fd = 2;
        uint64_t total_jobs = 0;  // --total-jobs: the total before input is all read
    };
    explicit ProgressMeter(Options options);

    // Draws if the interval has passed.
    void update(const JobTally& tally, uint64_t running) override;
    // The last line (ends the terminal line).
    void finish(const JobTally& tally) override;
    std::chrono::milliseconds interval() const override { return interval_; }

  private:
    // total: 0 while not known.
    void draw(uint64_t done, uint64_t failed, uint64_t running, uint64_t total, bool force);
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
