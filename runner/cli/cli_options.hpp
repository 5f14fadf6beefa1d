// The command line, parsed with CLI11 into what a run needs. GNU parallel's spellings
// and meanings where it has one. Parsing never runs anything and never reads input
// (files named by :::: and -a are only named here); a bad command line is a
// UsageError (one line, exit code kExitUsage).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runner/cli/halt_policy.hpp"
#include "runner/cli/option_values.hpp"
#include "runner/core/exit_codes.hpp"
#include "runner/core/worker_backend.hpp"
#include "worker/command_executor.hpp"

namespace ringrun {

// One input source: the arguments of a :::, or a file (:::: FILE, -a FILE; "-" is
// stdin). linked: :::+ / ::::+, paired with the source before it.
struct InputSpec {
    bool is_file = false;
    std::vector<std::string> values;  // arguments, or the one file name
    bool linked = false;
};

struct CliOptions {
    // Running
    size_t jobs = 0;
    Backend backend = Backend::processes;
    std::optional<std::string> task;
    std::vector<std::string> command;  // words before the first :::
    double delay_seconds = 0;
    uint64_t memfree_bytes = 0;
    double max_load = 0;
    uint64_t memory_limit_bytes = 0;       // --memory-limit: each job's address space
    uint64_t max_tasks_per_worker = 0;     // recycling: retire a worker after N jobs
    uint64_t max_worker_memory_bytes = 0;  // recycling: ... or once its RSS passes this
    bool dry_run = false;
    bool quote_command = false;  // -q: the command's words as given, no shell
    bool verbose = false;        // -v: print each job's command line before its output
    bool plus = false;           // --plus: GNU parallel's further replacement strings
    std::string working_dir;     // --wd
    // Input
    std::vector<InputSpec> inputs;  // empty: stdin
    char delimiter = '\n';
    std::optional<std::string> colsep;
    size_t max_args = 0;  // -n; 0: one record per job
    // -m, -X: as many inputs a job as fit, spread evenly over the workers; --xargs: as
    // many as fit. Within max_chars of inputs (-s) a job.
    bool multiple_args = false, context_replace = false, xargs = false;
    size_t max_chars = 0;
    bool shuffle = false;  // --shuf: every job read, then run in a random order
    bool link = false;     // --link: every source linked, shorter ones wrapping
    bool header = false;
    bool jsonl = false;  // --jsonl: one JSON job per line of stdin
    // Output
    OutputMode output_mode = OutputMode::grouped;
    bool keep_order = false;
    bool tag = false;
    std::optional<std::string> tagstring;
    std::optional<std::string> results;
    // Record, retry, stop
    std::optional<std::string> joblog;
    bool resume = false, resume_failed = false, retry_failed = false;
    uint32_t retries = 1;
    uint8_t retry_causes = kAllCauses;  // --retry-on
    double retry_delay_seconds = 0;
    double timeout_seconds = 0;
    double timeout_percent = 0;  // --timeout N%: of the median runtime of successful jobs
    std::vector<TermStep> termseq = default_termseq();
    HaltPolicy halt;
    size_t max_restarts = 50;
    double restart_window_seconds = 10;
    // Seeing
    bool bar = false, progress = false, eta = false;
    uint64_t total_jobs = 0;
    bool stats = false;

    bool inputs_from_stdin() const { return inputs.empty(); }
};

// Returns the options, or an exit code when the run is already over (--help, --version).
// Throws UsageError for a bad command line.
struct CliOutcome {
    std::optional<CliOptions> options;
    int exit_code = 0;
};
CliOutcome parse_command_line(int argc, char** argv);

size_t cpu_count();

}  // namespace ringrun
