// Runs one command job: posix_spawn (argv directly, or /bin/sh -c for a command line),
// stdout and stderr captured through pipes, the command in its own process group,
// its timeout enforced on the whole group (TERM, a grace period, then KILL).
// Must never leave a child unreaped, and never wait for a grandchild that keeps
// the output pipes open after the command itself has exited.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "worker/job.hpp"

namespace ringrun {

struct CommandLimits {
    std::chrono::milliseconds kill_grace{1000};  // between TERM and KILL on timeout
    // Where the running command's process group is published (null: nowhere), so that
    // the supervisor or the orphan reaper can kill it if this worker dies.
    std::atomic<int32_t>* running_group = nullptr;
};

JobResult run_command(const JobSpec& job, uint32_t worker_slot, const CommandLimits& limits = {});

}  // namespace ringrun
