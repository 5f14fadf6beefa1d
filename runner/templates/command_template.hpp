// The user's command with its replacement strings (see replacement_string.hpp), turned
// into one JobSpec per input. A command line that needs a shell runs under /bin/sh -c
// with every substituted input shell-quoted; one that does not runs as a plain argv,
// split into words exactly as the shell would split the quoted line. Must never let
// an input change the shape of the command.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runner/core/job_builder.hpp"
#include "runner/templates/replacement_string.hpp"
#include "worker/job.hpp"

namespace ringrun {

class CommandTemplate : public JobBuilder {
  public:
    // words: the command as given on the command line, joined with spaces (as GNU
    // parallel does). "{}" is appended when no replacement string appears.
    // column_names: from --header, so that {name} means that column.
    // plus: GNU parallel's --plus replacement strings too.
    static CommandTemplate for_command(const std::vector<std::string>& words,
                                       const std::vector<std::string>& column_names = {},
                                       bool plus = false);
    // -q: the words as given, each one argv word (no shell reads them), the inputs
    // substituted into them; {} appended as a word of its own when none appears.
    static CommandTemplate for_quoted_command(const std::vector<std::string>& words,
                                              const std::vector<std::string>& column_names = {},
                                              bool plus = false);
    // An in-process task whose payload is the input.
    static CommandTemplate for_task(std::string task_name);
    // The input is itself a whole shell command line: no command given (as GNU parallel),
    // or --retry-failed replaying a joblog's.
    static CommandTemplate for_logged_command();

    // inputs: the job's input values (one per source, column or -n argument).
    JobSpec make_job(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs) const;
    // The same, into a job whose buffers are reused (the dispatch hot path).
    void fill_job(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                  JobSpec& job) const override;
    // The command as one line, inputs quoted, as GNU parallel shows it (joblog,
    // --dry-run, messages); for a task, its name and payload.
    std::string command_line(uint64_t seq, uint32_t slot,
                             const std::vector<std::string>& inputs) const override;

    // A task with one input: its name and that input (see fill_job).
    bool plain_task(const std::vector<std::string>& inputs, std::string_view& name,
                    std::string_view& payload) const override {
        if (kind_ != JobSpec::Kind::task || inputs.size() != 1) return false;
        name = task_name_;
        payload = inputs[0];
        return true;
    }
    bool uses_shell() const { return kind_ == JobSpec::Kind::shell; }
    // -X: a word with text around an input is repeated for each input of the job
    // (pre{}post with a and b: prea.post preb.post), as GNU parallel's context replace.
    void repeat_words_with_context(const std::vector<std::string>& column_names, bool plus);
    // The last n of each job's inputs are {= =} values (perl_expression.hpp).
    void set_computed_count(size_t n) {
        line_.set_computed_count(n);
        for (auto& w : words_) w.set_computed_count(n);
        for (auto& w : context_words_) w.text.set_computed_count(n);
    }
    // --wd: every job runs in dir.
    void set_working_dir(std::string dir) { working_dir_ = std::move(dir); }
    bool is_task() const override { return kind_ == JobSpec::Kind::task; }

  private:
    JobSpec::Kind kind_ = JobSpec::Kind::argv;
    bool quote_inputs_ = true;
    ReplacementText line_;                // the whole line (shell, and display for argv)
    std::string line_source_;             // its text, as given
    std::vector<ReplacementText> words_;  // argv
    std::string task_name_;               // task
    std::string working_dir_;             // empty: the runner's
    struct ContextWord {                  // -X
        ReplacementText text;
        bool repeats;
    };
    std::vector<ContextWord> context_words_;
    void expand_context_line(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                             bool quote, std::string& out) const;
    size_t expand_context_words(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                                std::vector<std::string>& words) const;
};

}  // namespace ringrun
