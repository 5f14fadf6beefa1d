// The command line, parsed with CLI11 into what a run needs. GNU parallel's spellings
// where it has one. Parsing never runs anything; a bad command line is a UsageError
// (one line, exit code kExitUsage).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runner/worker_backend.hpp"

namespace ringrun {

inline constexpr int kExitUsage = 255;

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct CliOptions {
    size_t jobs = 0;  // 0: one per core
    Backend backend = Backend::processes;
    std::optional<std::string> task;
    uint32_t retries = 1;
    double timeout_seconds = 0;
    size_t max_restarts = 50;
    double restart_window_seconds = 10;
    bool stats = false;
    std::vector<std::string> command;                   // words before the first :::
    std::vector<std::vector<std::string>> input_lists;  // one per ::: or :::: group
    bool inputs_from_stdin() const { return input_lists.empty(); }
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
