// Running a planned pipeline on the supervisor: a source that yields only instances
// whose needs have succeeded and whose `limit` and resource claims fit, a builder that
// makes each instance's job, and the state file that --resume reads. When an instance
// fails for good, everything that needs it (transitively) is skipped and reported;
// independent work goes on. Must never start an instance before what it needs succeeded,
// and never exceed a limit or a pool.
#pragma once

#include <string>

#include "runner/pipeline/pipeline_cli.hpp"
#include "runner/pipeline/pipeline_plan.hpp"

namespace ringrun {

// The state file beside the job file: one line per finished instance (id, status,
// exit, signal, start and end in ns, a hash of its command), appended as each finishes.
std::string pipeline_state_path(const std::string& job_file);

// Returns the exit code: the number of instances that failed or were skipped (at most
// 101), or as the supervisor's for interrupts and --halt.
int run_pipeline(const PipelineFile& file, PipelinePlan plan, const PipelineCliOptions& options);

}  // namespace ringrun
