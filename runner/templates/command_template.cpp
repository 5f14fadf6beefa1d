// Command templates: shell or argv, and expansion into jobs.
#include "runner/templates/command_template.hpp"

#include <string_view>

#include "runner/core/exit_codes.hpp"

namespace ringrun {
namespace {

// line: the command with its replacement strings already removed.
bool needs_shell(const std::string& line) {
    static constexpr std::string_view kShellSyntax = "|&;<>()$`\\\"'*?[#~\n\t";
    if (line.find_first_of(kShellSyntax) != std::string::npos) return true;
    std::string_view first(line);
    first = first.substr(0, first.find(' '));
    if (first.find('=') != std::string_view::npos) return true;  // VAR=value command
    // Shell builtins and keywords exist only inside a shell.
    static constexpr std::string_view kShellOnly[] = {
        ".",     ":",      "alias", "break",  "case",   "cd",       "continue",
        "eval",  "exec",   "exit",  "export", "for",    "function", "if",
        "read",  "return", "set",   "shift",  "source", "trap",     "ulimit",
        "umask", "unset",  "until", "wait",   "while",  "{",        "!"};
    for (auto word : kShellOnly)
        if (first == word) return true;
    return false;
}

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        size_t start = i;
        while (i < line.size() && line[i] != ' ') ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

}  // namespace

CommandTemplate CommandTemplate::for_command(const std::vector<std::string>& words,
                                             const std::vector<std::string>& column_names,
                                             bool plus) {
    std::string line;
    for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
    if (!ReplacementText(line, column_names, plus).has_replacement()) line += " {}";
    CommandTemplate t;
    t.line_ = ReplacementText(line, column_names, plus);
    t.line_source_ = line;
    // Whether the line needs a shell is decided on its literal text only: an input can
    // never make it need one (inputs are quoted, or whole argv words).
    std::string literal_text;
    for (const auto& w : split_words(line)) {
        ReplacementText word(w, column_names, plus);
        std::string shape;
        word.expand(0, 0, {"x"}, false, shape);
        literal_text += (literal_text.empty() ? "" : " ") + shape;
        t.words_.push_back(std::move(word));
    }
    t.kind_ = needs_shell(literal_text) ? JobSpec::Kind::shell : JobSpec::Kind::argv;
    if (t.kind_ == JobSpec::Kind::shell) t.words_.clear();
    if (t.kind_ == JobSpec::Kind::shell && t.line_.has_replacement_after_backslash())
        throw UsageError(
            "a replacement string right after a backslash (\\{}) cannot be "
            "quoted safely: put it in quotes (\"{}\") instead");
    return t;
}

CommandTemplate CommandTemplate::for_quoted_command(const std::vector<std::string>& words,
                                                    const std::vector<std::string>& column_names,
                                                    bool plus) {
    CommandTemplate t;
    t.kind_ = JobSpec::Kind::argv;
    std::string line;
    bool any_replacement = false;
    for (const auto& w : words) {
        t.words_.emplace_back(w, column_names, plus);
        any_replacement |= t.words_.back().has_replacement();
        line += (line.empty() ? "" : " ") + w;
    }
    if (!any_replacement) {
        t.words_.emplace_back("{}", column_names);
        line += " {}";
    }
    t.line_ = ReplacementText(line, column_names, plus);
    return t;
}

void CommandTemplate::repeat_words_with_context(const std::vector<std::string>& column_names,
                                                bool plus) {
    context_words_.clear();
    for (const auto& w : split_words(line_source_)) {
        ReplacementText word(w, column_names, plus);
        const bool repeats = word.has_input() && !word.is_whole_input();
        context_words_.push_back({std::move(word), repeats});
    }
}

void CommandTemplate::expand_context_line(uint64_t seq, uint32_t slot,
                                          const std::vector<std::string>& inputs, bool quote,
                                          std::string& out) const {
    std::vector<std::string> one(1);
    for (size_t k = 0; k < context_words_.size(); ++k) {
        if (k > 0) out += ' ';
        const ContextWord& word = context_words_[k];
        if (!word.repeats) {
            word.text.expand(seq, slot, inputs, quote, out);
            continue;
        }
        for (size_t i = 0; i < inputs.size(); ++i) {
            if (i > 0) out += ' ';
            one[0] = inputs[i];
            word.text.expand(seq, slot, one, quote, out);
        }
    }
}

size_t CommandTemplate::expand_context_words(uint64_t seq, uint32_t slot,
                                             const std::vector<std::string>& inputs,
                                             std::vector<std::string>& words) const {
    std::vector<std::string> one(1);
    size_t used = 0;
    for (const ContextWord& word : context_words_) {
        if (!word.repeats) {
            used = word.text.expand_words(seq, slot, inputs, words, used);
            continue;
        }
        for (const auto& input : inputs) {
            one[0] = input;
            used = word.text.expand_words(seq, slot, one, words, used);
        }
    }
    return used;
}

CommandTemplate CommandTemplate::for_task(std::string task_name) {
    CommandTemplate t;
    t.kind_ = JobSpec::Kind::task;
    t.task_name_ = std::move(task_name);
    t.line_ = ReplacementText("{}");
    return t;
}

CommandTemplate CommandTemplate::for_logged_command() {
    CommandTemplate t;
    t.kind_ = JobSpec::Kind::shell;
    t.quote_inputs_ = false;
    t.line_ = ReplacementText("{}");
    return t;
}

JobSpec CommandTemplate::make_job(uint64_t seq, uint32_t slot,
                                  const std::vector<std::string>& inputs) const {
    JobSpec job;
    fill_job(seq, slot, inputs, job);
    return job;
}

void CommandTemplate::fill_job(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                               JobSpec& job) const {
    job.id = seq;
    job.attempt = 1;
    job.kind = kind_;
    job.timeout_ms = 0;  // the supervisor's, unless a builder sets one
    job.cwd = working_dir_;
    switch (kind_) {
        case JobSpec::Kind::shell:
            job.shell_line.clear();
            if (!context_words_.empty())
                expand_context_line(seq, slot, inputs, quote_inputs_, job.shell_line);
            else
                line_.expand(seq, slot, inputs, quote_inputs_, job.shell_line);
            break;
        case JobSpec::Kind::argv: {
            size_t used = 0;
            if (!context_words_.empty())
                used = expand_context_words(seq, slot, inputs, job.argv);
            else
                for (const auto& word : words_)
                    used = word.expand_words(seq, slot, inputs, job.argv, used);
            job.argv.resize(used);
            break;
        }
        case JobSpec::Kind::task:
            job.task_name = task_name_;
            if (inputs.size() == 1) {
                job.payload = inputs[0];  // the common case
            } else {
                job.payload.clear();
                line_.expand(seq, slot, inputs, false, job.payload);
            }
            break;
    }
}

std::string CommandTemplate::command_line(uint64_t seq, uint32_t slot,
                                          const std::vector<std::string>& inputs) const {
    std::string line;
    if (kind_ == JobSpec::Kind::task) {
        line = task_name_ + " ";
        line_.expand(seq, slot, inputs, false, line);
    } else if (!context_words_.empty()) {
        expand_context_line(seq, slot, inputs, quote_inputs_, line);
    } else {
        line_.expand(seq, slot, inputs, quote_inputs_, line);
    }
    return line;
}

}  // namespace ringrun
