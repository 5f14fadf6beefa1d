// What --stats prints at the end of a run: job outcomes, retries, worker restarts, and
// the distributions of queue wait (handed to a worker until it started), run time and
// recovery time (a worker's death until its replacement started a job). Histograms
// have fixed size, so ten million jobs cost no more memory than ten.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "worker/job.hpp"

namespace ringrun {

// Durations in log-linear buckets (8 per power of two: within 12.5%).
class DurationHistogram {
  public:
    void add(int64_t ns);
    uint64_t count() const { return count_; }
    int64_t max() const { return max_; }
    // The duration below which fraction q (0..1) of the samples fall, to the bucket.
    int64_t percentile(double q) const;

  private:
    static constexpr size_t kBuckets = 16 + 60 * 8;
    std::array<uint64_t, kBuckets> buckets_{};
    uint64_t count_ = 0;
    int64_t max_ = 0;
};

struct RunStatistics {
    uint64_t ok = 0, failed = 0, lost = 0, timed_out = 0, errors = 0, signaled = 0,
             out_of_memory = 0;
    uint64_t retried = 0;    // attempts that were run again
    uint64_t requeued = 0;   // jobs a dead worker held but was not running: run again, uncharged
    uint64_t withdrawn = 0;  // jobs queued behind a long job, taken back for idle workers
    uint64_t restarts = 0;   // replacement workers forked
    uint64_t recycled = 0;   // workers retired on purpose and replaced (not restarts)
    DurationHistogram queue_wait, run_time, recovery;

    void count_outcome(JobStatus status);
    // The lines --stats prints (each ends in a newline).
    std::string report() const;
};

// "1.2 ms", "340 µs", "2.5 s".
std::string format_duration(int64_t ns);

}  // namespace ringrun
