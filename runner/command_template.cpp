// Parsing and expansion of command templates.
#include "runner/command_template.hpp"

#include <string_view>

#include "runner/shell_quote.hpp"

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

std::string_view basename_of(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view dirname_of(std::string_view path) {
    auto slash = path.rfind('/');
    if (slash == std::string_view::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string_view without_extension(std::string_view path) {
    auto dot = path.rfind('.');
    auto slash = path.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return path;
    if (dot == (slash == std::string_view::npos ? 0 : slash + 1)) return path;  // .hidden
    return path.substr(0, dot);
}

}  // namespace

CommandTemplate::Parts CommandTemplate::parse(const std::string& text) {
    static const std::pair<std::string_view, Part::Kind> kTokens[] = {
        {"{}", Part::Kind::input},
        {"{.}", Part::Kind::input_no_ext},
        {"{/}", Part::Kind::basename},
        {"{//}", Part::Kind::dirname},
        {"{/.}", Part::Kind::basename_no_ext},
        {"{#}", Part::Kind::seq},
        {"{%}", Part::Kind::slot},
    };
    Parts parts;
    std::string literal;
    size_t i = 0;
    while (i < text.size()) {
        bool matched = false;
        if (text[i] == '{') {
            for (const auto& [token, kind] : kTokens) {
                if (text.compare(i, token.size(), token) == 0) {
                    if (!literal.empty())
                        parts.push_back({Part::Kind::literal, std::move(literal)});
                    literal.clear();
                    parts.push_back({kind, {}});
                    i += token.size();
                    matched = true;
                    break;
                }
            }
        }
        if (!matched) literal += text[i++];
    }
    if (!literal.empty()) parts.push_back({Part::Kind::literal, std::move(literal)});
    return parts;
}

bool CommandTemplate::has_replacement(const Parts& parts) {
    for (const auto& p : parts)
        if (p.kind != Part::Kind::literal) return true;
    return false;
}

CommandTemplate CommandTemplate::for_command(const std::vector<std::string>& words) {
    std::string line;
    for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
    CommandTemplate t;
    if (!has_replacement(parse(line))) line += " {}";
    std::string literal_text;
    for (const auto& p : parse(line)) literal_text += p.kind == Part::Kind::literal ? p.text : "x";
    t.kind_ = needs_shell(literal_text) ? JobSpec::Kind::shell : JobSpec::Kind::argv;
    if (t.kind_ == JobSpec::Kind::shell) {
        t.line_ = parse(line);
    } else {
        for (const auto& w : split_words(line)) t.words_.push_back(parse(w));
    }
    return t;
}

CommandTemplate CommandTemplate::for_task(std::string task_name) {
    CommandTemplate t;
    t.kind_ = JobSpec::Kind::task;
    t.task_name_ = std::move(task_name);
    t.line_ = parse("{}");
    return t;
}

void CommandTemplate::expand(const Parts& parts, uint64_t seq, uint32_t slot,
                             const std::vector<std::string>& inputs, bool quote,
                             std::string& out) const {
    if (!quote && parts.size() == 1 && parts[0].kind == Part::Kind::input && inputs.size() == 1) {
        out = inputs[0];  // "{}" alone, the common case for tasks
        return;
    }
    out.clear();
    for (const auto& p : parts) {
        if (p.kind == Part::Kind::literal) {
            out += p.text;
            continue;
        }
        if (p.kind == Part::Kind::seq) {
            out += std::to_string(seq);
            continue;
        }
        if (p.kind == Part::Kind::slot) {
            out += std::to_string(slot + 1);
            continue;
        }
        for (size_t i = 0; i < inputs.size(); ++i) {
            std::string_view in = inputs[i];
            std::string_view v = in;
            switch (p.kind) {
                case Part::Kind::input_no_ext:
                    v = without_extension(in);
                    break;
                case Part::Kind::basename:
                    v = basename_of(in);
                    break;
                case Part::Kind::dirname:
                    v = dirname_of(in);
                    break;
                case Part::Kind::basename_no_ext:
                    v = without_extension(basename_of(in));
                    break;
                default:
                    break;
            }
            if (i > 0) out += ' ';
            if (quote)
                out += shell_quote(v);
            else
                out += v;
        }
    }
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
    switch (kind_) {
        case JobSpec::Kind::shell:
            expand(line_, seq, slot, inputs, true, job.shell_line);
            break;
        case JobSpec::Kind::argv:
            job.argv.resize(words_.size());
            for (size_t i = 0; i < words_.size(); ++i)
                expand(words_[i], seq, slot, inputs, false, job.argv[i]);
            break;
        case JobSpec::Kind::task:
            job.task_name = task_name_;
            expand(line_, seq, slot, inputs, false, job.payload);
            break;
    }
}

}  // namespace ringrun
