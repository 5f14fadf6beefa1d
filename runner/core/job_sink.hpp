// Where the supervisor hands every job that has its final outcome. The sink decides
// what a job's end means (a joblog line and printed output, or a completed future); the
// supervisor only reports, in order of completion, exactly once per job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "worker/job.hpp"

namespace ringrun {

// Where the supervisor hands each job that has its final outcome: the command line's
// JobReporter, or the library's Pool (which completes the job's future).
class JobSink {
  public:
    virtual ~JobSink() = default;
    // Returns false when the sink can take no more (stdout closed): the run stops.
    virtual bool job_finished(uint64_t seq, const std::vector<std::string>& inputs,
                              JobResult& result) = 0;
    // A job that will not run (--resume skipped it, or it was cancelled before it started).
    virtual bool job_skipped(uint64_t seq, const std::vector<std::string>& inputs) = 0;
    // The supervisor has gathered a batch of results, or is about to sleep: a sink that
    // buffers hands over what it holds.
    virtual void flush() {}
    // The run is over.
    virtual bool finish() = 0;
    // Whether finished output waits to be written beyond the sink's limits (--keep-order):
    // no new job starts until it has drained.
    virtual bool backlogged() const { return false; }
};

}  // namespace ringrun
