// ringrun's entry point: parse the command line, build the run, hand it to the
// supervisor, map failures to documented exit codes. Never lets an exception escape.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "ipc/run_directory.hpp"
#include "ipc/shared_segment.hpp"
#include "runner/cli_options.hpp"
#include "runner/supervisor.hpp"
#include "worker/process_title.hpp"
#include "worker/task_registry.hpp"

int main(int argc, char** argv) {
    using namespace ringrun;
    try {
        CliOutcome parsed = parse_command_line(argc, argv);
        if (!parsed.options) return parsed.exit_code;
        const CliOptions& cli = *parsed.options;
        init_process_title(argc, argv);
        ipc::remove_stale_segments();
        ipc::remove_stale_run_directories();

        if (cli.task && !task_registry().find(*cli.task))
            throw UsageError("unknown task '" + *cli.task + "'");
        CommandTemplate command = cli.task ? CommandTemplate::for_task(*cli.task)
                                           : CommandTemplate::for_command(cli.command);
        std::unique_ptr<InputSource> input;
        if (cli.inputs_from_stdin())
            input = std::make_unique<LineStream>(STDIN_FILENO);
        else
            input = std::make_unique<ArgumentProduct>(cli.input_lists);
        GroupedOutput output;
        SupervisorOptions options;
        options.workers = cli.jobs;
        options.backend = cli.backend;
        options.retries = cli.retries;
        options.timeout_ms = static_cast<uint64_t>(cli.timeout_seconds * 1000.0 + 0.5);
        if (cli.timeout_seconds > 0 && options.timeout_ms == 0) options.timeout_ms = 1;
        options.max_restarts = cli.max_restarts;
        options.restart_window =
            std::chrono::milliseconds(static_cast<int64_t>(cli.restart_window_seconds * 1000.0));
        options.stats = cli.stats;
        Supervisor supervisor(options, command, *input, output);
        return supervisor.run();
    } catch (const UsageError& e) {
        std::cerr << "ringrun: " << e.what() << "\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << "ringrun: " << e.what() << "\n";
        return kExitUsage;
    }
}
