// Runs one command job: posix_spawn (argv directly, or /bin/sh -c for a command line),
// stdout and stderr captured through pipes, the command in its own process group,
// its timeout enforced on the whole group (--termseq). Each command sees RINGRUN_SEQ,
// RINGRUN_SLOT, PARALLEL_SEQ and PARALLEL_JOBSLOT.
// Must never leave a child unreaped, and never wait for a grandchild that keeps
// the output pipes open after the command itself has exited.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "worker/job.hpp"
#include "worker/output_capture.hpp"

namespace ringrun {

struct TermStep {
    int signal;
    std::chrono::milliseconds wait;  // before the next step
};

// GNU parallel's default --termseq: TERM,200,TERM,100,TERM,50,KILL,25.
std::vector<TermStep> default_termseq();

struct CommandLimits {
    // How a timed-out command's group is ended (--termseq): each signal in turn, waiting
    // between them; SIGKILL after the last wait if it still runs.
    std::vector<TermStep> termseq = default_termseq();
    // Where the running command's process group is published (null: nowhere), so that
    // the supervisor or the orphan reaper can kill it if this worker dies.
    std::atomic<int32_t>* running_group = nullptr;
    OutputMode output_mode = OutputMode::grouped;
    size_t inline_output_limit = 1 << 20;     // grouped output past this goes to a file
    std::string output_directory;             // where such files go (the run's directory)
    ipc::RobustMutex* output_lock = nullptr;  // --line-buffer: held while printing
    ipc::StderrTail* stderr_tail = nullptr;   // given the command's stderr as it comes
    // Where a timed job's start is published (the supervisor's backstop counts from it):
    // set again once a command that had to wait for a process slot starts.
    std::atomic<int64_t>* started_ns = nullptr;
};

JobResult run_command(const JobSpec& job, uint32_t worker_slot, const CommandLimits& limits = {});

}  // namespace ringrun
