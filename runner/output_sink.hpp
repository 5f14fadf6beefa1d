// Where finished jobs go: their output printed whole (never interleaved with another
// job's), and a one-line note on stderr for a job that could not run or was lost.
// A closed stdout is reported to the caller, never a crash (SIGPIPE is ignored).
#pragma once

#include <string>

#include "worker/job.hpp"

namespace ringrun {

class OutputSink {
  public:
    virtual ~OutputSink() = default;
    // Returns false when output can no longer be written (stdout closed).
    virtual bool job_finished(const std::string& description, bool is_task,
                              const JobResult& result) = 0;
};

class GroupedOutput : public OutputSink {
  public:
    GroupedOutput(int out_fd = 1, int err_fd = 2) : out_fd_(out_fd), err_fd_(err_fd) {}
    bool job_finished(const std::string& description, bool is_task,
                      const JobResult& result) override;

  private:
    int out_fd_;
    int err_fd_;
};

}  // namespace ringrun
