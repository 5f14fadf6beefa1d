// A pipeline file turned into its plan: every instance of every job (one per
// combination of its `each` values), with its command expanded, what it waits for, and
// the order they can run in. Checks what spans jobs: needs naming a missing job,
// dependency cycles (naming the jobs on them), placeholders with no `each` key,
// resources claimed beyond their pool, --only naming a missing job. Must never run
// anything; a plan with errors is never run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runner/pipeline/pipeline_file.hpp"
#include "worker/job.hpp"

namespace ringrun {

struct PipelineInstance {
    size_t job = 0;                                           // index in PipelineFile::jobs
    std::vector<std::pair<std::string, std::string>> values;  // each key = value
    std::string id;             // "name" or "name[key=value,...]": its identity for --resume
    std::vector<size_t> needs;  // instances (indices in the plan) it waits for
    std::vector<size_t> needed_by;
    JobSpec spec;              // what runs (id, attempt and slot are set at dispatch)
    std::string command_line;  // as shown in --dry-run and the joblog
};

struct PipelinePlan {
    std::vector<PipelineInstance> instances;  // in an order that respects needs
    size_t edges = 0;
};

// only: job names (--only): those jobs and everything they need, transitively.
PipelinePlan plan_pipeline(const PipelineFile& file, const std::vector<std::string>& only,
                           PipelineErrors& errors);

}  // namespace ringrun
