// ringrun's entry point, above every folder of runner/: picks the command (`ringrun bench`,
// `ringrun run|check|plan` for job files, else GNU parallel's command line), builds the
// run (input, command, sinks, hooks, what --resume skips), hands it to the supervisor,
// maps failures to documented exit codes. Never lets an exception escape.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iostream>
#include <memory>

#include "ipc/run_directory.hpp"
#include "ipc/shared_segment.hpp"
#include "ipc/system_call.hpp"
#include "runner/bench/bench_command.hpp"
#include "runner/cli/cli_options.hpp"
#include "runner/cli/halt_rule.hpp"
#include "runner/cli/input_plan.hpp"
#include "runner/cli/machine_gate.hpp"
#include "runner/cli/perl_inputs.hpp"
#include "runner/cli/progress_meter.hpp"
#include "runner/core/supervisor.hpp"
#include "runner/pipeline/jsonl_jobs.hpp"
#include "runner/pipeline/pipeline_cli.hpp"
#include "runner/records/job_reporter.hpp"
#include "runner/records/joblog.hpp"
#include "runner/records/start_log.hpp"
#include "runner/templates/command_template.hpp"
#include "runner/templates/line_tag_builder.hpp"
#include "worker/process_title.hpp"
#include "worker/task_registry.hpp"

namespace ringrun {
namespace {

// --dry-run: every job's command, in order, nothing run.
int print_commands(const JobBuilder& command, InputSource& input) {
    std::vector<std::string> inputs;
    uint64_t seq = 0;
    for (;;) {
        if (input.next(inputs)) {
            std::string line = command.command_line(++seq, 0, inputs) + "\n";
            sys::write_all(STDOUT_FILENO, line.data(), line.size(), "stdout");
            continue;
        }
        if (input.exhausted() || input.fd() < 0) break;
        input.fill();
    }
    return 0;
}

// --retry-failed: the joblog's commands, by sequence number; the succeeded (and the
// numbers the log lacks) are skipped.
std::unique_ptr<InputSource> logged_commands(const std::map<uint64_t, LoggedJob>& log,
                                             std::unordered_set<uint64_t>& skip) {
    InputList commands;
    const uint64_t last = log.empty() ? 0 : log.rbegin()->first;
    for (uint64_t seq = 1; seq <= last; ++seq) {
        auto it = log.find(seq);
        commands.values.push_back(it == log.end() ? std::string() : it->second.command);
        if (it == log.end() || it->second.succeeded) skip.insert(seq);
    }
    return std::make_unique<ArgumentProduct>(std::vector<InputList>{std::move(commands)});
}

int run(const CliOptions& cli) {
    if (cli.task && !task_registry().find(*cli.task))
        throw UsageError("unknown task '" + *cli.task + "'");

    SupervisorOptions options;
    std::unique_ptr<InputSource> input;
    std::vector<std::string> column_names;
    std::optional<uint64_t> job_count;
    std::map<uint64_t, LoggedJob> log;
    if (cli.joblog && (cli.resume || cli.resume_failed || cli.retry_failed))
        log = read_joblog(cli.joblog->front() == '+' ? cli.joblog->substr(1) : *cli.joblog);
    if (cli.retry_failed) {
        input = logged_commands(log, options.skip_seqs);
    } else if (cli.jsonl) {
        input = std::make_unique<JsonlSource>(STDIN_FILENO);
        for (const auto& [seq, job] : log)
            if (cli.resume || job.succeeded) options.skip_seqs.insert(seq);
    } else {
        InputPlan plan = build_input(cli);
        input = std::move(plan.source);
        column_names = std::move(plan.column_names);
        job_count = plan.job_count;
        for (const auto& [seq, job] : log)
            if (cli.resume || job.succeeded) options.skip_seqs.insert(seq);
    }
    // {= perl =}: taken out of the command and the tag; one perl computes them for the run.
    std::vector<PerlExpression> perl;
    std::vector<std::string> command_words = cli.command;
    std::optional<std::string> tagstring = cli.tagstring;
    if (!cli.jsonl && !cli.task && !cli.retry_failed) {
        take_perl_expressions(command_words, cli.quote_command, perl);
        if (tagstring) *tagstring = take_perl_expressions(*tagstring, perl, "--tagstring");
        if (!perl.empty())
            input = std::make_unique<PerlInputs>(std::move(input),
                                                 std::make_unique<PerlEvaluator>(perl));
    }
    std::unique_ptr<JobBuilder> builder;
    if (cli.jsonl)
        builder = std::make_unique<JsonlBuilder>();
    else {
        auto command =
            cli.task                                  ? CommandTemplate::for_task(*cli.task)
            : cli.retry_failed || cli.command.empty() ? CommandTemplate::for_logged_command()
            : cli.quote_command
                ? CommandTemplate::for_quoted_command(command_words, column_names, cli.plus)
                : CommandTemplate::for_command(command_words, column_names, cli.plus);
        command.set_working_dir(cli.working_dir);
        if (cli.context_replace && !cli.task && !cli.command.empty())
            command.repeat_words_with_context(column_names, cli.plus);
        command.set_computed_count(perl.size());
        builder = std::make_unique<CommandTemplate>(std::move(command));
    }
    const JobBuilder& command = *builder;
    if (cli.dry_run) return print_commands(command, *input);

    ipc::remove_stale_segments();
    ipc::remove_stale_run_directories();

    std::optional<ReplacementText> tag;
    if (tagstring)
        tag = ReplacementText(*tagstring, column_names, cli.plus);
    else if (cli.tag)
        tag = ReplacementText(cli.jsonl ? "{2}" : "{}");  // --jsonl: the job's id
    if (tag) tag->set_computed_count(perl.size());
    OutputOptions output;
    output.mode = cli.output_mode;
    output.keep_order = cli.keep_order;
    if (cli.output_mode == OutputMode::grouped) output.tag = tag;
    output.values_are_task_output = command.is_task();
    output.print_stdout = !cli.results;  // saved instead (as GNU parallel)
    if (cli.verbose) output.verbose = &command;
    OutputPrinter printer(output);
    std::unique_ptr<JoblogWriter> joblog;
    std::optional<StartLog> start_log;
    if (cli.joblog) {
        // --resume and friends add to the log they read (as GNU parallel); +FILE appends.
        const bool append =
            cli.joblog->front() == '+' || cli.resume || cli.resume_failed || cli.retry_failed;
        const std::string path = cli.joblog->front() == '+' ? cli.joblog->substr(1) : *cli.joblog;
        joblog = std::make_unique<JoblogWriter>(path, append);
        if (path != "-") {
            start_log.emplace(path, append);
            const auto unfinished = start_log->unfinished(log);
            if ((cli.resume || cli.resume_failed) && !unfinished.empty())
                std::cerr << "ringrun: " << unfinished.size()
                          << " job(s) had started in an earlier run that ended before they did"
                             " (seq "
                          << seq_list(unfinished) << "): they run again, and may have run twice\n";
        }
    }
    std::unique_ptr<ResultsWriter> results;
    if (cli.results) {
        results = std::make_unique<ResultsWriter>(*cli.results);
        results->set_computed_count(perl.size());
    }
    JobReporter report(command, printer, std::move(joblog), std::move(results));

    // No more workers than jobs, when their number is known.
    options.workers = job_count ? std::clamp<size_t>(*job_count, 1, cli.jobs) : cli.jobs;
    options.backend = cli.backend;
    options.retries = cli.retries;
    options.retry_causes = cli.retry_causes;
    options.memory_limit = cli.memory_limit_bytes;
    options.recycling = {cli.max_tasks_per_worker, cli.max_worker_memory_bytes / 1024};
    options.timeout_ms = static_cast<uint64_t>(cli.timeout_seconds * 1000.0 + 0.5);
    if (cli.timeout_seconds > 0 && options.timeout_ms == 0) options.timeout_ms = 1;
    options.timeout_percent = cli.timeout_percent;
    options.max_restarts = cli.max_restarts;
    options.restart_window =
        std::chrono::milliseconds(static_cast<int64_t>(cli.restart_window_seconds * 1000.0));
    options.stats = cli.stats;
    options.command_settings.termseq = cli.termseq;
    options.command_settings.output_mode = cli.output_mode;
    auto ms = [](double seconds) {
        return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0 + 0.5));
    };
    options.retry_delay = ms(cli.retry_delay_seconds);
    options.start_delay = ms(cli.delay_seconds);

    // The command line's own policies, as the supervisor's hooks.
    FrontEndHooks hooks;
    std::optional<MachineGate> gate;
    if (cli.memfree_bytes > 0 || cli.max_load > 0)
        hooks.start_gate = &gate.emplace(cli.memfree_bytes, cli.max_load);
    std::optional<HaltRule> halt;
    if (cli.halt.active()) hooks.stop_rule = &halt.emplace(cli.halt, command);
    if (start_log) hooks.start_listener = &*start_log;
    std::optional<ProgressMeter> progress;
    if (cli.bar || cli.progress || cli.eta)
        hooks.progress = &progress.emplace(ProgressMeter::Options{
            cli.bar, cli.eta, STDERR_FILENO, job_count.value_or(cli.total_jobs)});
    // --line-buffer with a tag: workers print it before each line.
    std::optional<LineTagBuilder> tagged;
    if (cli.output_mode == OutputMode::line_buffer && tag) tagged.emplace(command, *tag);
    const JobBuilder& jobs = tagged ? static_cast<const JobBuilder&>(*tagged) : command;

    Supervisor supervisor(std::move(options), jobs, *input, report, std::move(hooks));
    return supervisor.run();
}

}  // namespace
}  // namespace ringrun

int main(int argc, char** argv) {
    using namespace ringrun;
    try {
        if (is_bench_command(argc, argv)) return run_bench_command(argc, argv);
        if (is_pipeline_command(argc, argv)) {
            PipelineCliOutcome parsed = parse_pipeline_command_line(argc, argv);
            if (!parsed.options) return parsed.exit_code;
            init_process_title(argc, argv);
            return run_pipeline_command(*parsed.options);
        }
        CliOutcome parsed = parse_command_line(argc, argv);
        if (!parsed.options) return parsed.exit_code;
        init_process_title(argc, argv);
        return run(*parsed.options);
    } catch (const UsageError& e) {
        std::cerr << "ringrun: " << e.what() << "\n";
        return kExitUsage;
    } catch (const sys::SystemError& e) {
        const int error = e.error_number();
        if (error != ENOSPC && error != EDQUOT && error != EFBIG) {
            std::cerr << "ringrun: " << e.what() << "\n";
            return kExitUsage;
        }
        // Every row written so far is whole: --resume goes on from them.
        std::cerr << "ringrun: " << e.what() << "; the run stopped (--resume goes on)\n";
        return kExitRecordsFull;
    } catch (const std::exception& e) {
        std::cerr << "ringrun: " << e.what() << "\n";
        return kExitUsage;
    }
}
