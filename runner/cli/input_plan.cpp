// From input specs to an InputSource chain.
#include "runner/cli/input_plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "ipc/system_call.hpp"

namespace ringrun {
namespace {

int open_input(const std::string& path) {
    if (path == "-") return STDIN_FILENO;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw UsageError("cannot read input file '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        throw UsageError("cannot read input file '" + path + "': " + std::strerror(EISDIR));
    }
    return fd;
}

std::vector<std::string> read_whole(const std::string& path, char delimiter) {
    int fd = open_input(path);
    auto records = read_records(fd, delimiter, path);
    if (fd != STDIN_FILENO) ::close(fd);
    return records;
}

}  // namespace

InputPlan build_input(const CliOptions& options) {
    InputPlan plan;
    std::vector<std::string> header_values;
    // -m and -X spread the inputs evenly over the workers: they must know how many there
    // are, so one stream is read whole (as GNU parallel does).
    // --shuf too: it shuffles every job.
    const bool spread = options.multiple_args || options.context_replace;
    const bool one_stream =
        !spread && !options.shuffle &&
        (options.inputs.empty() || (options.inputs.size() == 1 && options.inputs[0].is_file));
    if (one_stream) {
        const std::string path = options.inputs.empty() ? "-" : options.inputs[0].values[0];
        int fd = open_input(path);
        auto stream = std::make_unique<LineStream>(fd, options.delimiter, fd != STDIN_FILENO);
        if (options.header) {
            std::string first;
            if (stream->next_blocking(first)) header_values.push_back(first);
        }
        plan.source = std::move(stream);
    } else {
        std::vector<InputList> lists;
        std::vector<InputSpec> specs = options.inputs;
        if (specs.empty()) specs.push_back({true, {"-"}, false});  // stdin, read whole
        for (const auto& spec : specs) {
            InputList list{
                spec.is_file ? read_whole(spec.values[0], options.delimiter) : spec.values,
                spec.linked};
            if (options.header && !list.values.empty()) {
                header_values.push_back(list.values.front());
                list.values.erase(list.values.begin());
            }
            list.linked |= options.link;
            lists.push_back(std::move(list));
        }
        auto product = std::make_unique<ArgumentProduct>(std::move(lists), options.link);
        plan.job_count = product->size();
        plan.source = std::move(product);
    }
    // --header on one stream without --colsep splits its lines on tabs (as GNU parallel).
    const std::optional<std::string> colsep =
        options.colsep
            ? options.colsep
            : (options.header && one_stream ? std::optional<std::string>("\t") : std::nullopt);
    if (colsep) {
        std::unique_ptr<ColumnSplit> split;
        try {
            split = std::make_unique<ColumnSplit>(std::move(plan.source), *colsep);
        } catch (const std::invalid_argument& e) {
            throw UsageError("--colsep '" + *colsep + "' is not a valid regex: " + e.what());
        }
        for (const auto& h : header_values) split->split(h, plan.column_names);
        plan.source = std::move(split);
    } else {
        plan.column_names = header_values;
    }
    // The inputs are shuffled before they are grouped into jobs (as GNU parallel).
    if (options.shuffle) plan.source = std::make_unique<ShuffledInputs>(std::move(plan.source));
    if (spread || options.xargs) {
        // GNU parallel keeps a command line well inside the system's limit (131,072).
        constexpr size_t kLineChars = 60'000;
        const size_t jobs = std::max<size_t>(options.jobs, 1);
        const size_t per_job = options.xargs || !plan.job_count
                                   ? SIZE_MAX
                                   : std::max<size_t>(1, (*plan.job_count + jobs - 1) / jobs);
        plan.source = std::make_unique<ArgumentBatch>(
            std::move(plan.source), per_job, options.max_chars ? options.max_chars : kLineChars);
        plan.job_count.reset();
    } else if (options.max_args > 0) {
        plan.source = std::make_unique<ArgumentBatch>(std::move(plan.source), options.max_args);
        if (plan.job_count)
            *plan.job_count = (*plan.job_count + options.max_args - 1) / options.max_args;
    }
    return plan;
}

}  // namespace ringrun
