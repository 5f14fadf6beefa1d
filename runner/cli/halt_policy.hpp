// --halt: when to stop a run early, with GNU parallel's meaning. "now" kills running
// jobs; "soon" starts no new job and lets running ones finish. The reason counts
// failed, succeeded or done jobs, as a number or a percentage of all jobs.
// Must never change what a run does when --halt is not given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ringrun {

class HaltPolicy {
  public:
    enum class When { never, soon, now };
    enum class Why { fail, success, done };

    HaltPolicy() = default;
    // "now,fail=1", "soon,success=30%", "2" (as GNU parallel: now,fail=1) ... Throws
    // UsageError for anything else.
    static HaltPolicy parse(const std::string& text);

    When when() const { return when_; }
    Why why() const { return why_; }
    bool active() const { return when_ != When::never; }
    // Whether to halt after a job finished, given the counts so far and the number of
    // jobs in the run (0 if not known yet).
    bool triggered(uint64_t failed, uint64_t succeeded, uint64_t total) const;
    // The exit status of a halted run: the failing job's own status for fail=1, 0 for
    // success, the percentage failed for a percentage, else the number failed (max 101).
    int exit_code(int last_failed_exit, uint64_t failed, uint64_t done, uint64_t total) const;
    // "failed", "succeeded", "finished": how the message names the last job.
    const char* verb() const;

  private:
    When when_ = When::never;
    Why why_ = Why::fail;
    double threshold_ = 1;
    bool percent_ = false;
};

}  // namespace ringrun
