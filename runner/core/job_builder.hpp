// What turns a job's inputs into the JobSpec a worker runs: a command template
// (ringrun's command line) or a pipeline plan (ringrun run). The supervisor knows jobs
// only through this. Must be pure: the same inputs give the same job.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "worker/job.hpp"

namespace ringrun {

class JobBuilder {
  public:
    virtual ~JobBuilder() = default;
    // Fills job (reused between calls: every field it uses must be set).
    virtual void fill_job(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                          JobSpec& job) const = 0;
    // The job as one line, as the joblog, --dry-run and messages show it.
    virtual std::string command_line(uint64_t seq, uint32_t slot,
                                     const std::vector<std::string>& inputs) const = 0;
    // Whether inputs make a job that is only an in-process task's name and payload, both
    // found as they are in inputs (or in the builder): true with them set, and the
    // supervisor writes the job's record from them without filling a JobSpec.
    virtual bool plain_task(const std::vector<std::string>& /*inputs*/, std::string_view& /*name*/,
                            std::string_view& /*payload*/) const {
        return false;
    }
    // Whether every job is an in-process task (their output is a value; their timeouts
    // are enforced by killing the worker).
    virtual bool is_task() const = 0;
    // Attempts a failing job gets in all.
    virtual uint32_t attempts(const std::vector<std::string>& /*inputs*/,
                              uint32_t run_default) const {
        return run_default;
    }
    // Whether an attempt that ended with status is retried (within attempts): a job
    // file's retry_on names the causes; every cause by default.
    virtual bool retries_cause(const std::vector<std::string>& /*inputs*/,
                               JobStatus /*status*/) const {
        return true;
    }
    // Whether the job asks for a thread worker (a pipeline mixing backends).
    virtual bool runs_on_threads(const std::vector<std::string>& /*inputs*/) const { return false; }
    // Why inputs can make no job (a bad --jsonl line), or "" when they can. A rejected
    // job is reported failed without running.
    virtual std::string rejected(const std::vector<std::string>& /*inputs*/) const { return {}; }
};

}  // namespace ringrun
