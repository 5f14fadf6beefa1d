// Builds the run's input from the command line: a lone stream (stdin, or one -a/::::
// file) is read lazily; several sources are read whole and crossed or linked; then
// --colsep and -n wrap the source, and --header takes each source's first record as
// its column names. Must never start a job: it only opens and reads input.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runner/cli/cli_options.hpp"
#include "runner/cli/input_readers.hpp"

namespace ringrun {

struct InputPlan {
    std::unique_ptr<InputSource> source;
    std::vector<std::string> column_names;  // --header: position 1 first
    std::optional<uint64_t> job_count;      // known when the input is argument lists
};

// Throws UsageError for an unreadable file or a bad --colsep.
InputPlan build_input(const CliOptions& options);

}  // namespace ringrun
