// A small process, forked before the workers, that outlives a SIGKILLed supervisor just
// long enough to kill every command process group the slot status table lists, and any
// process carrying the run's mark (a command spawned but not yet published): workers
// die with the supervisor (PR_SET_PDEATHSIG), but the commands they started would not.
// It must never touch anything but the table, and never outlive the supervisor.
#pragma once

#include <sys/types.h>

#include "ipc/slot_status.hpp"

namespace ringrun {

// The environment variable that marks every process of a run (set by the reaper's
// constructor, in the supervisor, before any worker exists).
inline constexpr const char* kRunMarkVariable = "RINGRUN_RUN";

class OrphanReaper {
  public:
    explicit OrphanReaper(ipc::SlotStatusTable& table);
    // Kills and reaps the reaper (the supervisor is alive: its own clean-up runs).
    ~OrphanReaper();
    OrphanReaper(const OrphanReaper&) = delete;
    OrphanReaper& operator=(const OrphanReaper&) = delete;

    pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
};

}  // namespace ringrun
