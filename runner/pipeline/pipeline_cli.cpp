// CLI11 set-up of `ringrun run` and `ringrun check`, and what they do.
#include "runner/pipeline/pipeline_cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>

#include "ipc/system_call.hpp"
#include "runner/cli/cli_options.hpp"
#include "runner/pipeline/pipeline_plan.hpp"
#include "runner/pipeline/pipeline_run.hpp"

namespace ringrun {

bool is_pipeline_command(int argc, char** argv) {
    return argc >= 2 && (std::strcmp(argv[1], "run") == 0 || std::strcmp(argv[1], "check") == 0);
}

PipelineCliOutcome parse_pipeline_command_line(int argc, char** argv) {
    PipelineCliOptions options;
    options.check_only = std::strcmp(argv[1], "check") == 0;
    CLI::App app{options.check_only
                     ? "ringrun check: validate a pipeline job file without running it; prints "
                       "the plan's size (exit 0) or every error as FILE:LINE:COL (exit 2)."
                     : "ringrun run: run a pipeline job file (see docs/jobfiles.md).\n"
                       "Example: ringrun run pipeline.toml --only report --dry-run",
                 std::string("ringrun ") + argv[1]};
    app.add_option("FILE", options.file, "The job file (TOML)")->required();
    std::string halt;
    size_t jobs = 0;
    if (!options.check_only) {  // `check` takes the file alone
        app.add_option("-j,--jobs", jobs, "Workers (default: [run] jobs, else one per core)")
            ->check(CLI::Range(size_t{1}, size_t{1024}));
        app.add_option("--only", options.only,
                       "Run only these jobs, and what they need (repeatable)")
            ->type_name("JOB");
        app.add_flag("--dry-run", options.dry_run,
                     "Print the instances in a valid order with what each waits for");
        app.add_flag("--resume", options.resume,
                     "Skip instances that succeeded in an earlier run (by job name and each "
                     "values, from FILE.state) and are unchanged since");
        app.add_flag("--stats", options.stats, "Print run statistics on stderr at the end");
        app.add_option("--halt", halt, "Stop early, as ringrun --halt");
    }
    try {
        app.parse(argc - 1, argv + 1);
    } catch (const CLI::CallForHelp& e) {
        return {std::nullopt, app.exit(e)};
    } catch (const CLI::ParseError& e) {
        throw UsageError(e.what());
    }
    if (jobs > 0) options.jobs = jobs;
    if (!halt.empty()) options.halt = HaltPolicy::parse(halt);
    return {std::move(options), 0};
}

int run_pipeline_command(const PipelineCliOptions& options) {
    PipelineErrors errors(options.file);
    PipelineFile file = read_pipeline_file(options.file, errors);
    // Checked across jobs even when the file had other errors: every error at once.
    PipelinePlan plan = plan_pipeline(file, options.only, errors);
    if (!errors.empty()) {
        for (const auto& line : errors.lines()) std::cerr << line << "\n";
        return kExitBadJobFile;
    }
    if (options.check_only) {
        std::cout << options.file << ": ok: " << file.jobs.size() << " jobs, "
                  << plan.instances.size() << " instances, " << plan.edges << " dependencies\n";
        return 0;
    }
    if (options.dry_run) {
        std::string out;
        for (const auto& instance : plan.instances) {
            out += instance.id + ": " + instance.command_line;
            if (!instance.needs.empty()) {
                out += "  (after";
                for (size_t n : instance.needs) out += " " + plan.instances[n].id;
                out += ")";
            }
            out += "\n";
            if (out.size() > 65536) {
                sys::write_all(STDOUT_FILENO, out.data(), out.size(), "stdout");
                out.clear();
            }
        }
        sys::write_all(STDOUT_FILENO, out.data(), out.size(), "stdout");
        return 0;
    }
    return run_pipeline(file, std::move(plan), options);
}

}  // namespace ringrun
