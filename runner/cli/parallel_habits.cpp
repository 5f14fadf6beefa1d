// The remote options are declared so that each gives one clear line (GNU parallel's
// users meet them in every tutorial), not "Unknown option".
#include "runner/cli/parallel_habits.hpp"

#include <cstdlib>

#include "runner/cli/cli_options.hpp"
#include "runner/core/exit_codes.hpp"

namespace ringrun {

std::vector<std::string> split_shell_words(const std::string& text, const std::string& what) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\\' && i + 1 < text.size()) {
            word += text[++i];
        } else if (c == '\'' || c == '"') {
            const size_t close = text.find(c, i + 1);
            if (close == std::string::npos)
                throw UsageError(what + ": unclosed " + (c == '\'' ? "'" : "\""));
            for (size_t j = i + 1; j < close; ++j) {
                // Inside "...", a backslash escapes only $ ` " \ (as the shell).
                if (c == '"' && text[j] == '\\' && j + 1 < close &&
                    std::string_view("$`\"\\").find(text[j + 1]) != std::string_view::npos)
                    ++j;
                word += text[j];
            }
            i = close;
        } else {
            word += c;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

std::vector<std::string> with_parallel_environment(std::vector<std::string> args) {
    const char* from_environment = std::getenv("PARALLEL");
    if (!from_environment || !*from_environment) return args;
    std::vector<std::string> words = split_shell_words(from_environment, "$PARALLEL");
    args.insert(args.begin() + 1, words.begin(), words.end());
    return args;
}

void ParallelHabits::add_input_options(CLI::App& app, CliOptions& options,
                                       const std::string& group) {
    app.add_option("-I", replace_string_, "Use STR instead of {} for the input")
        ->type_name("STR")
        ->group(group);
    app.add_option("-N", max_replace_args_, "Give each job N inputs (as -n)")
        ->type_name("N")
        ->check(CLI::Range(size_t{1}, size_t{1} << 20))
        ->group(group);
    app.add_flag("-m", options.multiple_args,
                 "As many inputs a job as fit in a command line, spread evenly over the "
                 "workers")
        ->group(group);
    app.add_flag("-X", options.context_replace,
                 "As -m; a word with text around {} is repeated for each input")
        ->group(group);
    app.add_flag("--xargs", options.xargs, "As many inputs a job as fit in a command line")
        ->group(group);
    app.add_option("-s,--max-chars", options.max_chars,
                   "With -m, -X, --xargs: at most N characters of inputs a job")
        ->type_name("N")
        ->check(CLI::Range(size_t{1}, size_t{1} << 30))
        ->group(group);
    app.add_flag("--shuf", options.shuffle, "Read every job first, then run them in a random order")
        ->group(group);
    app.add_flag("--plus", options.plus,
                 "Also {..} {...} {/..} {/...} (two or three extensions off), {+/} {+.} {+..} "
                 "{+...} (the parts those leave out)")
        ->group(group);
}

void ParallelHabits::add_running_options(CLI::App& app, CliOptions& options,
                                         const std::string& group) {
    app.add_flag("-q,--quote", options.quote_command,
                 "Run the command's words as given, without a shell (for words holding "
                 "quotes, $ or spaces)")
        ->group(group);
    app.add_flag("-v,--verbose", options.verbose,
                 "Print each job's command line on stdout before its output")
        ->group(group);
    app.add_option("--wd,--workdir", options.working_dir, "Run each job in DIR")
        ->type_name("DIR")
        ->group(group);
    app.add_option("--env", env_,
                   "Accepted for GNU parallel's habits: jobs run here, and inherit every "
                   "variable")
        ->type_name("NAME")
        ->group(group);
    for (const char* name : {"-S,--sshlogin", "--slf,--sshloginfile", "--transferfile", "--return",
                             "--trc", "--basefile,--bf", "--controlmaster"})
        app.add_option(name, remote_)->group("");  // hidden: refused in apply()
    for (const char* name : {"--transfer", "--cleanup", "--onall", "--nonall"})
        app.add_flag_callback(name, [this, name] { remote_.push_back(name); })->group("");
}

void ParallelHabits::apply(CliOptions& options) const {
    if (!remote_.empty())
        throw UsageError(
            "GNU parallel's remote options (-S, --sshlogin, --transfer, --return, "
            "--cleanup, --onall, ...) are not supported: ringrun runs beyond one machine as "
            "a Slurm job array, one ringrun per node (see docs/parallel-compat.md)");
    if (max_replace_args_ > 0) options.max_args = max_replace_args_;
    if (!replace_string_.empty() && replace_string_ != "{}") {
        for (std::string& word : options.command)
            for (size_t at = 0; (at = word.find(replace_string_, at)) != std::string::npos;) {
                word.replace(at, replace_string_.size(), "{}");
                at += 2;
            }
    }
}

}  // namespace ringrun
