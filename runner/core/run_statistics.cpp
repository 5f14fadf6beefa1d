// Histogram arithmetic and the --stats report, including the starvation warning.
#include "runner/core/run_statistics.hpp"

#include <bit>
#include <cstdio>

namespace ringrun {
namespace {

size_t bucket_of(uint64_t v) {
    if (v < 16) return v;
    int e = std::bit_width(v) - 1;  // 4..63
    return 16 + static_cast<size_t>(e - 4) * 8 + ((v >> (e - 3)) & 7);
}

// The upper edge of bucket b.
int64_t bucket_top(size_t b) {
    if (b < 16) return static_cast<int64_t>(b);
    size_t e = (b - 16) / 8 + 4, sub = (b - 16) % 8;
    uint64_t low = (uint64_t{8} + sub) << (e - 3);
    return static_cast<int64_t>(low + (uint64_t{1} << (e - 3)) - 1);
}

}  // namespace

void DurationHistogram::add(int64_t ns) {
    uint64_t v = ns < 0 ? 0 : static_cast<uint64_t>(ns);
    size_t b = bucket_of(v);
    if (b >= kBuckets) b = kBuckets - 1;
    ++buckets_[b];
    ++count_;
    if (ns > max_) max_ = ns;
}

int64_t DurationHistogram::percentile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
        seen += buckets_[b];
        if (seen >= rank) return std::min(bucket_top(b), max_);
    }
    return max_;
}

void RunStatistics::count_outcome(JobStatus status) {
    switch (status) {
        case JobStatus::ok:
            ++ok;
            break;
        case JobStatus::failed:
            ++failed;
            break;
        case JobStatus::signaled:
            ++signaled;
            break;
        case JobStatus::timeout:
            ++timed_out;
            break;
        case JobStatus::lost:
            ++lost;
            break;
        case JobStatus::error:
            ++errors;
            break;
        case JobStatus::memory_limit:
            ++out_of_memory;
            break;
        case JobStatus::cancelled:  // never ran: not an outcome
            break;
    }
}

std::string format_duration(int64_t ns) {
    char text[32];
    if (ns < 1'000)
        std::snprintf(text, sizeof text, "%lld ns", static_cast<long long>(ns));
    else if (ns < 1'000'000)
        std::snprintf(text, sizeof text, "%.3g µs", static_cast<double>(ns) / 1e3);
    else if (ns < 1'000'000'000)
        std::snprintf(text, sizeof text, "%.3g ms", static_cast<double>(ns) / 1e6);
    else
        std::snprintf(text, sizeof text, "%.3g s", static_cast<double>(ns) / 1e9);
    return text;
}

std::string RunStatistics::report() const {
    const uint64_t total = ok + failed + signaled + timed_out + lost + errors + out_of_memory;
    std::string out =
        "ringrun: stats: " + std::to_string(total) + " jobs: " + std::to_string(ok) + " ok, " +
        std::to_string(failed) + " failed, " + std::to_string(signaled) + " killed by a signal, " +
        std::to_string(timed_out) + " timed out, " + std::to_string(lost) + " lost, " +
        (out_of_memory ? std::to_string(out_of_memory) + " over their memory limit, " : "") +
        std::to_string(errors) + " could not start; " + std::to_string(retried) + " retried; " +
        (requeued ? std::to_string(requeued) + " requeued uncharged; " : "") +
        (withdrawn ? std::to_string(withdrawn) + " taken back from behind a long job; " : "") +
        std::to_string(restarts) + " worker restarts" +
        (recycled ? "; " + std::to_string(recycled) + " workers recycled" : "") + "\n";
    if (run_time.count() > 0) {
        out += "ringrun: stats: queue wait p50 " + format_duration(queue_wait.percentile(0.5)) +
               ", p99 " + format_duration(queue_wait.percentile(0.99)) + "; run time p50 " +
               format_duration(run_time.percentile(0.5)) + ", p99 " +
               format_duration(run_time.percentile(0.99)) + "\n";
    }
    if (recovery.count() > 0) {
        out +=
            "ringrun: stats: recovery (a worker's death until its replacement started a "
            "job) p50 " +
            format_duration(recovery.percentile(0.5)) + ", max " + format_duration(recovery.max()) +
            "\n";
    }
    // Starvation: jobs sat in a busy worker's queue far longer than jobs take to run.
    const int64_t wait99 = queue_wait.percentile(0.99), run99 = run_time.percentile(0.99);
    const int64_t wait50 = queue_wait.percentile(0.5), run50 = run_time.percentile(0.5);
    if (run_time.count() >= 10 && ((wait99 > 10 * run99 && wait99 > 10'000'000) ||
                                   (wait50 > 4 * run50 && wait50 > 1'000'000))) {
        out +=
            "ringrun: stats: starvation: jobs waited behind slower jobs far longer than "
            "they ran (queue wait p99 " +
            format_duration(wait99) + " against run time p99 " + format_duration(run99) + ")\n";
    }
    return out;
}

}  // namespace ringrun
