// --joblog: GNU parallel's job log, byte for byte: a tab-separated header, then one line
// per finished job (Seq Host Starttime JobRuntime Send Receive Exitval Signal Command),
// written with one write() as each job finishes, so that a SIGKILLed run leaves a valid
// log. And the reading side, for --resume, --resume-failed and --retry-failed.
// Must never write a partial line on purpose, nor rewrite what is already logged.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "worker/job.hpp"

namespace ringrun {

class JoblogWriter {
  public:
    // path: a file (truncated, unless append), or "-" for stdout.
    JoblogWriter(const std::string& path, bool append);
    ~JoblogWriter();
    JoblogWriter(const JoblogWriter&) = delete;
    JoblogWriter& operator=(const JoblogWriter&) = delete;

    void job_finished(uint64_t seq, const JobResult& result, const std::string& command_line);

  private:
    int fd_ = -1;
    bool owns_fd_ = false;
    std::string path_;
    std::string line_;
};

// GNU parallel's Exitval and Signal columns for a result: a job killed for its timeout
// or lost with its worker has Exitval -1.
int joblog_exit_value(const JobResult& result);

// What an existing joblog says about each sequence number.
struct LoggedJob {
    bool succeeded = false;  // some line for it has Exitval 0 and Signal 0
    std::string command;     // the last line's command (NULs turned back into newlines)
};

// Reads path (a missing file is an empty log). Throws UsageError for a file that is not
// a joblog.
std::map<uint64_t, LoggedJob> read_joblog(const std::string& path);

}  // namespace ringrun
