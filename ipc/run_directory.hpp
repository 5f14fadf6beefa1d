// The run's private temporary directory ($TMPDIR/ringrun.<pid>.XXXXXX, mode 0700) where
// spill files live. Removed with everything in it when the creating process's object
// is destroyed; directories of dead runs are removed by remove_stale_run_directories().
// Must never remove anything outside a directory this naming scheme produced.
#pragma once

#include <string>

namespace ringrun::ipc {

class RunDirectory {
  public:
    RunDirectory();
    ~RunDirectory();
    RunDirectory(const RunDirectory&) = delete;
    RunDirectory& operator=(const RunDirectory&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    long owner_pid_;
};

int remove_stale_run_directories();

}  // namespace ringrun::ipc
