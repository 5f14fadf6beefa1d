// CLI11 set-up for ringrun's options, and the splitting of the command from its
// ::: / :::: input groups (done here because CLI11 stops at the command's first word).
#include "runner/cli_options.hpp"

#include <sched.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "runner/version.hpp"

namespace ringrun {
namespace {

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError("cannot read input file '" + path + "'");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Splits "cmd args ::: a b :::: file" into the command and its input lists.
void split_command_and_inputs(const std::vector<std::string>& words, CliOptions& options) {
    size_t i = 0;
    while (i < words.size() && words[i] != ":::" && words[i] != "::::")
        options.command.push_back(words[i++]);
    while (i < words.size()) {
        bool files = words[i] == "::::";
        ++i;
        std::vector<std::string> list;
        while (i < words.size() && words[i] != ":::" && words[i] != "::::") {
            if (files) {
                auto lines = read_lines(words[i]);
                list.insert(list.end(), lines.begin(), lines.end());
            } else {
                list.push_back(words[i]);
            }
            ++i;
        }
        options.input_lists.push_back(std::move(list));
    }
}

}  // namespace

size_t cpu_count() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<size_t>(CPU_COUNT(&set));
    return 1;
}

CliOutcome parse_command_line(int argc, char** argv) {
    CliOptions options;
    CLI::App app{
        "ringrun: run jobs in parallel on crash-isolated worker processes.\n\n"
        "  ringrun [options] COMMAND [ARGS...] ::: INPUTS...\n"
        "  ringrun [options] COMMAND [ARGS...] :::: FILE\n"
        "  ... | ringrun [options] COMMAND [ARGS...]\n\n"
        "Each input becomes one job; {} in the command is replaced by the input (appended when\n"
        "absent); {.} {/} {//} {/.} {#} {%} as in GNU parallel.\n"
        "Example: ringrun -j4 gzip -9 {} ::: *.log",
        "ringrun"};
    app.prefix_command();
    app.set_version_flag("--version", std::string("ringrun ") + kVersion);
    std::string jobs_text;
    app.add_option("-j,--jobs", jobs_text, "Number of workers (default: one per CPU core)")
        ->type_name("N");
    std::string backend = "processes";
    app.add_option("--backend", backend, "processes (default: crash-isolated) or threads")
        ->type_name("NAME")
        ->check(CLI::IsMember({"processes", "threads"}));
    std::string task;
    app.add_option("--task", task,
                   "Run the named in-process task with each input as its payload "
                   "(built in: noop, echo, spin, sleep, crash)")
        ->type_name("NAME");
    app.add_option("--retries", options.retries,
                   "Run a failing job up to N times in all (as GNU parallel); a job whose "
                   "worker dies under it is retried at least 3 times")
        ->type_name("N")
        ->check(CLI::Range(1u, 1000000u));
    app.add_option("--timeout", options.timeout_seconds,
                   "Kill a job running longer than SECS: a command's whole process group "
                   "(TERM, then KILL 1 s later), or an in-process task's worker")
        ->type_name("SECS")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-restarts", options.max_restarts,
                   "Stop the run (exit 102) when workers were replaced more than N times "
                   "within --restart-window; 0: no limit (default 50)")
        ->type_name("N");
    app.add_option("--restart-window", options.restart_window_seconds,
                   "The window of --max-restarts, in seconds (default 10)")
        ->type_name("SECS")
        ->check(CLI::PositiveNumber);
    app.add_flag("--stats", options.stats,
                 "At the end, print on stderr: jobs ok/failed/lost/retried/timed out, worker "
                 "restarts, queue wait and run time p50/p99");
    app.footer(
        "Exit status: 0 if every job succeeded; 1-100 the number of failed jobs; 101 more\n"
        "than 100 failed; 102 stopped by --max-restarts; 130/143 interrupted by\n"
        "SIGINT/SIGTERM; 141 stdout closed; 255 usage or internal error.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return {std::nullopt, app.exit(e)};
    } catch (const CLI::CallForVersion& e) {
        return {std::nullopt, app.exit(e)};
    } catch (const CLI::ParseError& e) {
        throw UsageError(e.what());
    }
    if (!jobs_text.empty()) {
        size_t used = 0;
        long value = -1;
        try {
            value = std::stol(jobs_text, &used);
        } catch (const std::exception&) {
        }
        if (value < 1 || used != jobs_text.size() || value > 4096)
            throw UsageError("-j expects a number of workers from 1 to 4096, not '" + jobs_text +
                             "'");
        options.jobs = static_cast<size_t>(value);
    }
    if (options.jobs == 0) options.jobs = cpu_count();
    options.backend = backend == "threads" ? Backend::threads : Backend::processes;
    split_command_and_inputs(app.remaining(), options);
    if (!task.empty()) {
        if (!options.command.empty())
            throw UsageError("--task runs a task, not a command: remove '" +
                             options.command.front() + "'");
        options.task = task;
    } else if (options.command.empty()) {
        throw UsageError("no command given (try 'ringrun --help')");
    }
    return {std::move(options), 0};
}

}  // namespace ringrun
