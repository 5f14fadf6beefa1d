// Fault injection for the crash-recovery tests: RINGRUN_TEST_FAULT=POINT:K makes a worker
// SIGKILL itself at POINT on every job whose sequence number is a multiple of K, on its
// first attempt only (so the retry succeeds and a run can be checked for completeness).
// Off unless that variable is set; a bad value is ignored with one line on stderr.
// It must never fire on a retried job.
#pragma once

#include <cstdint>
#include <string_view>

#include "worker/job.hpp"

namespace ringrun {

enum class FaultPoint {
    none,
    holding_ring_lock,       // holding its result ring's mutex
    reserved_not_committed,  // between reserve and commit of a result record
    half_written,            // half-way through copying a result record
    after_pop,               // right after taking a job from its job ring
    mid_job,                 // while running a job, before it reports
    wrong_id,                // reports a job's result under another job's id, and goes on
    garbage_record,          // commits a result record shorter than its lengths say, goes on
};

struct FaultPlan {
    FaultPoint point = FaultPoint::none;
    uint64_t every = 0;

    bool fires(FaultPoint at, const JobSpec& job) const {
        return point == at && every != 0 && job.attempt == 1 && job.id % every == 0;
    }
};

FaultPlan fault_plan_from_environment();
// Parses "POINT:K"; point none for anything else.
FaultPlan parse_fault_plan(std::string_view text);

[[noreturn]] void die_by_fault();

// RINGRUN_TEST_STUCK_START=FILE: the first worker process to create FILE never enters
// its loop, as one stuck on a lock another thread held at its fork would not.
void stall_first_start_if_asked();

}  // namespace ringrun
