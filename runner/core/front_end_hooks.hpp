// What a front end may add to a run, through small interfaces the supervisor calls at
// fixed points: a gate on starting jobs (--memfree, --load), a rule that stops the run
// (--halt), a progress display, and the library's start hooks. Each is optional and owned
// by its front end. Must never name a front end's options: the core knows only these.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "worker/job.hpp"

namespace ringrun {

// The run's count of jobs with a final outcome. total: how many the run has in all, 0
// while the input is not all read.
struct JobTally {
    uint64_t succeeded = 0;
    uint64_t failed = 0;
    uint64_t total = 0;
    uint64_t running = 0;  // jobs handed to workers and not yet done
    uint64_t done() const { return succeeded + failed; }
};

// Whether a new job may start now. While the gate is closed the supervisor asks again at
// least every recheck_every(), and it hands each worker one job at a time, so that the
// gate decides when every job starts.
class StartGate {
  public:
    virtual ~StartGate() = default;
    virtual bool open() = 0;
    virtual std::chrono::milliseconds recheck_every() const = 0;
};

// What a StopRule orders: no new job starts; kill_running also kills the jobs that run
// (and leaves their results out of the run's); the run ends with exit_code.
struct StopOrder {
    int exit_code = 0;
    bool kill_running = false;
};

// Asked after every job's final outcome while the run has not been stopped. A rule makes
// jobs start one at a time per worker, so that none starts after the one that stops it.
class StopRule {
  public:
    virtual ~StopRule() = default;
    virtual std::optional<StopOrder> after_job(const JobTally& tally, uint64_t seq, uint32_t slot,
                                               const std::vector<std::string>& inputs,
                                               const JobResult& result) = 0;
};

// Told how the run goes, at least every interval() while it runs, and once at its end.
class ProgressListener {
  public:
    virtual ~ProgressListener() = default;
    virtual void update(const JobTally& tally, uint64_t running) = 0;
    virtual void finish(const JobTally& tally) = 0;
    virtual std::chrono::milliseconds interval() const = 0;
};

// Told of each job as it is handed to a worker for its first attempt, before it can
// start (--joblog's start log, which lets --resume say what may have run twice).
class StartListener {
  public:
    virtual ~StartListener() = default;
    virtual void job_handed_out(uint64_t seq) = 0;
};

struct FrontEndHooks {
    StartGate* start_gate = nullptr;
    StopRule* stop_rule = nullptr;
    ProgressListener* progress = nullptr;
    StartListener* start_listener = nullptr;
    // Runs in each worker before its first in-process task (the library's start hook).
    std::function<void()> before_first_task;
    // Called once the first workers have been started (the library's Pool returns from
    // its constructor then, so that no thread of the program allocates while they fork).
    std::function<void()> on_workers_started;
};

}  // namespace ringrun
