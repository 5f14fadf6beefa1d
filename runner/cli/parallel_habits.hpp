// GNU parallel's habits that ringrun keeps without a feature of its own: options read
// from $PARALLEL, -I STR for {}, -N as -n, -q (the command's words as they are, no shell),
// --wd, --env (accepted: every variable is inherited locally), and the remote options
// (-S, --transfer, ...) refused with a pointer to ringrun's way beyond one machine.
// Must never run anything: it only reads and rewrites the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ringrun {

struct CliOptions;

// The arguments with $PARALLEL's words (split as the shell would) put first, as GNU
// parallel reads them. args[0] is the program.
std::vector<std::string> with_parallel_environment(std::vector<std::string> args);

// Words split as the shell splits them: blanks separate, '...' and "..." quote, a
// backslash escapes. Throws UsageError for an unclosed quote (what names it).
std::vector<std::string> split_shell_words(const std::string& text, const std::string& what);

class ParallelHabits {
  public:
    // Declares the options on app: those that shape how jobs run, and those that shape
    // what their inputs are, each in its help group.
    void add_running_options(CLI::App& app, CliOptions& options, const std::string& group);
    void add_input_options(CLI::App& app, CliOptions& options, const std::string& group);
    // After parsing: refuses remote options and applies -I, -N and --wd.
    void apply(CliOptions& options) const;

  private:
    std::string replace_string_;       // -I
    size_t max_replace_args_ = 0;      // -N
    std::vector<std::string> env_;     // --env: accepted, nothing to do locally
    std::vector<std::string> remote_;  // the remote options given, by name
};

}  // namespace ringrun
