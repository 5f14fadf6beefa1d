// JOBLOG.started, beside GNU parallel's joblog (which records a job once it has ended):
// one row ("seq\n") per job as it is handed to a worker for its first attempt, before
// it can start. A run killed with SIGKILL leaves jobs started but never ended; --resume
// runs them again (at-least-once), and this log is how it can say which ones may have
// run twice. Must never change the joblog's own format.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runner/core/front_end_hooks.hpp"
#include "runner/records/joblog.hpp"

namespace ringrun {

class StartLog : public StartListener {
  public:
    // For the joblog at joblog_path; appending (with --resume and friends) keeps its rows.
    StartLog(const std::string& joblog_path, bool append);
    ~StartLog() override;
    StartLog(const StartLog&) = delete;
    StartLog& operator=(const StartLog&) = delete;

    void job_handed_out(uint64_t seq) override;
    // The jobs an earlier run handed out that have no row in finished (the joblog read
    // for --resume): they had started, or were about to, when that run ended.
    std::vector<uint64_t> unfinished(const std::map<uint64_t, LoggedJob>& finished) const;

  private:
    std::string path_;
    int fd_ = -1;
    std::vector<uint64_t> earlier_;  // handed out by earlier runs (appending only)
    std::string row_;
};

// "jobs 3, 7 and 12" style list of at most a few seqs, for a message.
std::string seq_list(const std::vector<uint64_t>& seqs);

}  // namespace ringrun
