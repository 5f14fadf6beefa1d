// CLI11 set-up for ringrun's options (grouped by topic for --help), and the splitting
// of the command from its ::: / :::: / :::+ / ::::+ input groups (done here because
// CLI11 stops at the command's first word).
#include "runner/cli/cli_options.hpp"

#include <sched.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "runner/cli/parallel_habits.hpp"
#include "runner/cli/version.hpp"

namespace ringrun {
namespace {

constexpr size_t kMaxWorkers = 1024;
constexpr size_t kAsManyAsPossible = 256;  // -j 0 (fewer when there are fewer jobs)

bool is_separator(const std::string& w) {
    return w == ":::" || w == "::::" || w == ":::+" || w == "::::+";
}

// Splits "cmd args ::: a b :::+ c d :::: file" into the command and its input sources.
void split_command_and_inputs(const std::vector<std::string>& words, CliOptions& options) {
    size_t i = 0;
    while (i < words.size() && !is_separator(words[i])) options.command.push_back(words[i++]);
    while (i < words.size()) {
        const std::string& separator = words[i++];
        const bool files = separator[3] == ':';
        const bool linked = separator.back() == '+';
        std::vector<std::string> values;
        while (i < words.size() && !is_separator(words[i])) values.push_back(words[i++]);
        if (!files) {
            options.inputs.push_back({false, std::move(values), linked});
            continue;
        }
        if (values.empty()) throw UsageError(separator + " needs a file name");
        // Each file is a source of its own; the first takes the separator's link.
        for (size_t f = 0; f < values.size(); ++f)
            options.inputs.push_back({true, {values[f]}, f == 0 && linked});
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
        "ringrun: run jobs in parallel on crash-isolated worker processes; GNU parallel's\n"
        "options, faster, and a worker's crash never loses a job.\n\n"
        "  ringrun [options] COMMAND [ARGS...] ::: INPUTS...   (several ::: cross)\n"
        "  ringrun [options] COMMAND [ARGS...] :::: FILE       (one input per line)\n"
        "  ... | ringrun [options] COMMAND [ARGS...]           (stdin, streamed)\n"
        "  ringrun check|run FILE.toml                         (pipelines: ringrun run --help)\n"
        "  ringrun bench [--json]                              (processes vs threads, measured)\n\n"
        "Each input becomes one job; {} in the command is replaced by the input (appended\n"
        "when absent); {.} {/} {//} {/.} {#} {%} {N} {N.} {name} as in GNU parallel.\n"
        "Example: ringrun -j4 gzip -9 {} ::: *.log\n"
        "See also: man ringrun, docs/parallel-compat.md",
        "ringrun"};
    app.prefix_command();
    ParallelHabits habits;
    app.set_version_flag("--version", std::string("ringrun ") + kVersion);
    app.get_formatter()->column_width(34);
    auto take_last = CLI::MultiOptionPolicy::TakeLast;

    const std::string kRunning = "Running  (e.g. ringrun -j50% --delay 0.5 ./fetch.sh :::: urls)";
    std::string jobs_text;
    app.add_option("-j,--jobs", jobs_text,
                   "Workers: N, N% of the cores, +N / -N cores plus/minus N, 0 as many as "
                   "possible (default: one per core)")
        ->type_name("N")
        ->multi_option_policy(take_last)
        ->group(kRunning);
    std::string backend = "processes";
    app.add_option("--backend", backend, "processes (default: crash-isolated) or threads")
        ->type_name("NAME")
        ->check(CLI::IsMember({"processes", "threads"}))
        ->group(kRunning);
    std::string task;
    app.add_option("--task", task,
                   "Run the named in-process task with each input as its payload "
                   "(built in: noop, echo, spin, sleep, crash, alloc, crash_every, "
                   "crash_once_timed, spawn, leak)")
        ->type_name("NAME")
        ->group(kRunning);
    habits.add_running_options(app, options, kRunning);
    std::string delay, memfree;
    app.add_option("--delay", delay, "Start jobs at least SECS apart")
        ->type_name("SECS")
        ->group(kRunning);
    app.add_option("--memfree", memfree,
                   "Start no job while the machine's available memory is below SIZE (500M, 2G)")
        ->type_name("SIZE")
        ->group(kRunning);
    std::string memory_limit, max_worker_memory, retry_on;
    app.add_option("--memory-limit", memory_limit,
                   "Limit each job's memory (address space) to SIZE: a command past it fails "
                   "with the cause \"memory limit\"; the run goes on")
        ->type_name("SIZE")
        ->group(kRunning);
    app.add_option("--max-tasks-per-worker", options.max_tasks_per_worker,
                   "Replace each worker process after N jobs (a new one is forked ahead); "
                   "not a restart")
        ->type_name("N")
        ->check(CLI::PositiveNumber)
        ->group(kRunning);
    app.add_option("--max-worker-memory", max_worker_memory,
                   "Replace a worker process whose RSS has grown past SIZE, once its job's "
                   "result is in")
        ->type_name("SIZE")
        ->group(kRunning);
    app.add_option("--load", options.max_load,
                   "Start no job while the 1-minute load average is N or more")
        ->type_name("N")
        ->check(CLI::PositiveNumber)
        ->group(kRunning);
    app.add_flag("--dry-run", options.dry_run, "Print each job's command instead of running it")
        ->group(kRunning);

    const std::string kInput = "Input  (e.g. ringrun --colsep , --header : echo {name} :::: x.csv)";
    habits.add_input_options(app, options, kInput);
    std::vector<std::string> arg_files;
    app.add_option("-a,--arg-file", arg_files,
                   "Read inputs from FILE, one per line (repeat to cross several files)")
        ->type_name("FILE")
        ->allow_extra_args(false)
        ->group(kInput);
    app.add_flag("--link,--xapply", options.link,
                 "Pair the sources element by element instead of crossing them; shorter "
                 "ones start over")
        ->group(kInput);
    bool null = false;
    app.add_flag("-0,--null", null, "Inputs are separated by NUL bytes (find -print0)")
        ->group(kInput);
    std::string delimiter;
    app.add_option("-d,--delimiter", delimiter, "Inputs are separated by CHAR (or \\n \\t \\0)")
        ->type_name("CHAR")
        ->group(kInput);
    std::string colsep;
    app.add_option("-C,--colsep", colsep,
                   "Split each input into columns at REGEX; {1} {2} ... are the columns")
        ->type_name("REGEX")
        ->group(kInput);
    app.add_option("-n,--max-args", options.max_args, "Give each job N inputs")
        ->type_name("N")
        ->check(CLI::Range(size_t{1}, size_t{1} << 20))
        ->group(kInput);
    app.add_flag("--jsonl", options.jsonl,
                 "Read one job per line of stdin as JSON: {\"cmd\": \"line\" or [argv], \"id\", "
                 "\"env\": {...}, \"cwd\", \"timeout\": secs, \"retries\"}; no command")
        ->group(kInput);
    std::string header;
    app.add_option("--header", header,
                   "The first input of each source names its column ({name}); use ':'")
        ->type_name(":")
        ->group(kInput);

    const std::string kOutput =
        "Output  (e.g. ringrun -k --tag --results out.jsonl wc -l ::: *.txt)";
    app.add_flag("-k,--keep-order", options.keep_order,
                 "Print outputs in input order (jobs still run in parallel)")
        ->group(kOutput);
    app.add_flag("--tag", options.tag, "Prefix each output line with the job's input and a tab")
        ->group(kOutput);
    std::string tagstring;
    app.add_option("--tagstring", tagstring,
                   "Prefix each output line with STR (replacement strings allowed)")
        ->type_name("STR")
        ->group(kOutput);
    bool line_buffer = false, ungroup = false;
    app.add_flag("--lb,--line-buffer", line_buffer,
                 "Print output as whole lines as soon as jobs write them (interleaved)")
        ->group(kOutput);
    app.add_flag("-u,--ungroup", ungroup,
                 "Pass output straight through, unbuffered (lines may mix)")
        ->group(kOutput);
    std::string results;
    app.add_option("--results", results,
                   "Save each job's stdout, stderr and metadata under DIR, or as JSON Lines "
                   "in FILE.jsonl (stdout is saved there, not printed)")
        ->type_name("DIR|FILE.jsonl")
        ->group(kOutput);

    const std::string kRecord =
        "Record, retry, stop  (e.g. ringrun --joblog j.log --resume-failed --retries 3 ./job.sh "
        ":::: in)";
    std::string joblog;
    app.add_option("--joblog", joblog,
                   "Log each finished job in GNU parallel's format (+FILE appends, - is stdout)")
        ->type_name("FILE")
        ->group(kRecord);
    app.add_flag("--resume", options.resume, "Skip jobs the --joblog already holds")
        ->group(kRecord);
    app.add_flag("--resume-failed", options.resume_failed,
                 "Skip jobs the --joblog holds as succeeded; run failed and missing ones")
        ->group(kRecord);
    app.add_flag("--retry-failed", options.retry_failed,
                 "Run again the failed commands of the --joblog (ignores the command line)")
        ->group(kRecord);
    app.add_option("--retries", options.retries,
                   "Run a failing job up to N times in all (as GNU parallel); a job whose "
                   "worker dies under it is retried at least 3 times")
        ->type_name("N")
        ->check(CLI::Range(1u, 1000000u))
        ->group(kRecord);
    app.add_option("--retry-on", retry_on,
                   "Retry only attempts that ended so: exit,signal,timeout,lost,memory,start "
                   "(default: all)")
        ->type_name("CAUSES")
        ->group(kRecord);
    std::string retry_delay, timeout, termseq, halt;
    app.add_option("--retry-delay", retry_delay,
                   "Wait SECS before a retry, doubling each time (with jitter)")
        ->type_name("SECS")
        ->group(kRecord);
    app.add_option("--timeout", timeout,
                   "Kill a job running longer than SECS, or than N% of the median runtime of "
                   "successful jobs: a command's whole process group (see --termseq), or an "
                   "in-process task's worker")
        ->type_name("SECS|N%")
        ->group(kRecord);
    app.add_option("--termseq", termseq,
                   "Signals and waits (ms) to end a timed-out command "
                   "(default TERM,200,TERM,100,TERM,50,KILL,25)")
        ->type_name("SEQ")
        ->group(kRecord);
    app.add_option("--halt", halt,
                   "Stop early: now|soon,fail|success|done=N|N% (now kills running jobs, "
                   "soon lets them finish)")
        ->type_name("WHEN,WHY=N")
        ->group(kRecord);
    app.add_option("--max-restarts", options.max_restarts,
                   "Stop the run (exit 102) when workers were replaced more than N times "
                   "within --restart-window; 0: no limit (default 50)")
        ->type_name("N")
        ->group(kRecord);
    app.add_option("--restart-window", options.restart_window_seconds,
                   "The window of --max-restarts, in seconds (default 10)")
        ->type_name("SECS")
        ->check(CLI::PositiveNumber)
        ->group(kRecord);

    const std::string kSeeing = "Seeing what happens  (e.g. ringrun --bar --total-jobs 1000 ...)";
    app.add_flag("--bar", options.bar, "A live progress bar on stderr")->group(kSeeing);
    app.add_flag("--progress", options.progress, "Progress (done, running, rate) on stderr")
        ->group(kSeeing);
    app.add_flag("--eta", options.eta, "Estimated time left, on stderr")->group(kSeeing);
    app.add_option("--total-jobs", options.total_jobs,
                   "The number of jobs, for progress when input is streamed")
        ->type_name("N")
        ->group(kSeeing);
    app.add_flag("--stats", options.stats,
                 "At the end, print on stderr: jobs ok/failed/lost/retried/timed out, worker "
                 "restarts, queue wait and run time p50/p99")
        ->group(kSeeing);
    app.footer(
        "Environment of each job: RINGRUN_SEQ and PARALLEL_SEQ ({#}), RINGRUN_SLOT and\n"
        "PARALLEL_JOBSLOT ({%}).\n"
        "Exit status: 0 if every job succeeded; 1-100 the number of failed jobs; 101 more\n"
        "than 100 failed; with --halt, as GNU parallel; 102 stopped by --max-restarts;\n"
        "103 a record could not be written (a full disk); 130/143 interrupted by\n"
        "SIGINT/SIGTERM; 141 stdout closed; 255 usage or internal error.");
    // Options in $PARALLEL come first, as GNU parallel reads them.
    std::vector<std::string> args = with_parallel_environment({argv, argv + argc});
    std::vector<char*> arg_pointers;
    for (std::string& arg : args) arg_pointers.push_back(arg.data());
    try {
        app.parse(static_cast<int>(arg_pointers.size()), arg_pointers.data());
    } catch (const CLI::CallForHelp& e) {
        return {std::nullopt, app.exit(e)};
    } catch (const CLI::CallForVersion& e) {
        return {std::nullopt, app.exit(e)};
    } catch (const CLI::ParseError& e) {
        throw UsageError(e.what());
    }
    options.jobs = jobs_text.empty()
                       ? cpu_count()
                       : parse_job_count(jobs_text, cpu_count(), kMaxWorkers, kAsManyAsPossible);
    options.backend = backend == "threads" ? Backend::threads : Backend::processes;
    if (!delay.empty()) options.delay_seconds = parse_seconds("--delay", delay);
    if (!memfree.empty()) options.memfree_bytes = parse_size("--memfree", memfree);
    if (!memory_limit.empty())
        options.memory_limit_bytes = parse_size("--memory-limit", memory_limit);
    if (!max_worker_memory.empty())
        options.max_worker_memory_bytes = parse_size("--max-worker-memory", max_worker_memory);
    if (!retry_on.empty()) options.retry_causes = parse_causes("--retry-on", retry_on);
    if (null) options.delimiter = '\0';
    if (!delimiter.empty()) options.delimiter = parse_delimiter(delimiter);
    if (!colsep.empty()) options.colsep = colsep;
    if (!header.empty()) options.header = true;
    if (line_buffer) options.output_mode = OutputMode::line_buffer;
    if (ungroup) options.output_mode = OutputMode::ungrouped;
    if (!tagstring.empty()) {  // \t is a tab, as GNU parallel reads it
        for (size_t at; (at = tagstring.find("\\t")) != std::string::npos;)
            tagstring.replace(at, 2, "\t");
        options.tagstring = tagstring;
    }
    if (!results.empty()) options.results = results;
    if (!joblog.empty()) options.joblog = joblog;
    if ((options.resume || options.resume_failed || options.retry_failed) && !options.joblog)
        throw UsageError("--resume, --resume-failed and --retry-failed need --joblog FILE");
    if (!retry_delay.empty())
        options.retry_delay_seconds = parse_seconds("--retry-delay", retry_delay);
    if (!timeout.empty()) {
        if (timeout.back() == '%') {
            options.timeout_percent = parse_percent("--timeout", timeout);
        } else {
            options.timeout_seconds = parse_seconds("--timeout", timeout);
            if (options.timeout_seconds <= 0) throw UsageError("--timeout needs SECS above 0");
        }
    }
    if (!termseq.empty()) options.termseq = parse_termseq(termseq);
    if (!halt.empty()) options.halt = HaltPolicy::parse(halt);

    for (const auto& file : arg_files) options.inputs.push_back({true, {file}, false});
    split_command_and_inputs(app.remaining(), options);
    if (!options.command.empty() && options.command.front().size() > 1 &&
        options.command.front().front() == '-') {
        // CLI11 stops at the first word it does not know: an option of GNU parallel's that
        // ringrun lacks, or a typo. A command never starts with '-'.
        const std::string& word = options.command.front();
        const std::string name = word.substr(word.find_first_not_of('-'));
        throw UsageError("Unknown option: " + name.substr(0, name.find('=')));
    }
    habits.apply(options);
    if (!task.empty()) {
        if (!options.command.empty())
            throw UsageError("--task runs a task, not a command: remove '" +
                             options.command.front() + "'");
        options.task = task;
    } else if (options.jsonl) {
        if (!options.command.empty() || !options.inputs.empty())
            throw UsageError("--jsonl reads its jobs from stdin: give no command or inputs");
    }
    // No command: each input is itself a command line (GNU parallel's most common use).
    if (options.output_mode != OutputMode::grouped && options.keep_order)
        throw UsageError("-k needs grouped output: drop --line-buffer / --ungroup");
    return {std::move(options), 0};
}

}  // namespace ringrun
