// The pipeline subcommands: `ringrun run FILE [--jobs N] [--only JOB...] [--dry-run]
// [--resume]` and `ringrun check FILE`. Chosen when the first word is `run` or `check`
// (a command of that name runs as `ringrun env run ...`). Parsing never runs anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runner/cli/halt_policy.hpp"

namespace ringrun {

inline constexpr int kExitBadJobFile = 2;  // `check` or `run` found errors in the file

struct PipelineCliOptions {
    bool check_only = false;  // `check`
    std::string file;
    std::optional<size_t> jobs;
    std::vector<std::string> only;
    bool dry_run = false;
    bool resume = false;
    bool stats = false;
    HaltPolicy halt;
};

// True if argv names a pipeline subcommand.
bool is_pipeline_command(int argc, char** argv);

struct PipelineCliOutcome {
    std::optional<PipelineCliOptions> options;
    int exit_code = 0;  // when options is empty (--help)
};
// Throws UsageError for a bad command line.
PipelineCliOutcome parse_pipeline_command_line(int argc, char** argv);

// Runs `check` or `run`; returns the exit code.
int run_pipeline_command(const PipelineCliOptions& options);

}  // namespace ringrun
