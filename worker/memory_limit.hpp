// Per-job memory limits (--memory-limit, a job file's memory): how a command is started
// under one, how a task runs under one, and how a failure is recognised as running out
// of it. Must never kill anything: the limit makes allocations fail, and the job ends
// by its own hand.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <string>
#include <vector>

#include "worker/job.hpp"

namespace ringrun {

// args (the command as it would run) run under a shell that sets job.memory_limit first.
std::vector<std::string> with_memory_limit(const JobSpec& job, std::vector<std::string> args);

// Whether a failed command under a memory limit says it ran out of memory.
bool says_memory_ran_out(const JobResult& result);

// While it lives, this process's address space may grow by at most `bytes` beyond what it
// has now (RLIMIT_AS's soft limit); the old limit comes back after. For an in-process
// task: one that allocates past it gets std::bad_alloc. bytes 0: no change.
class TaskMemoryLimit {
  public:
    explicit TaskMemoryLimit(uint64_t bytes);
    ~TaskMemoryLimit();
    TaskMemoryLimit(const TaskMemoryLimit&) = delete;
    TaskMemoryLimit& operator=(const TaskMemoryLimit&) = delete;

  private:
    bool set_ = false;
    struct rlimit old_ {};
};

}  // namespace ringrun
