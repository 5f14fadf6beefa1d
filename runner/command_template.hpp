// The user's command with its replacement strings ({} {.} {/} {//} {/.} {#} {%}), turned
// into one JobSpec per input. A command line that needs a shell runs under /bin/sh -c
// with every substituted input shell-quoted; one that does not runs as a plain argv, with
// inputs substituted verbatim into whole words. Must never let an input change the shape
// of the command.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "worker/job.hpp"

namespace ringrun {

class CommandTemplate {
  public:
    // words: the command as given on the command line, joined with spaces (as GNU
    // parallel does). "{}" is appended when no replacement string appears.
    static CommandTemplate for_command(const std::vector<std::string>& words);
    // An in-process task whose payload is the input.
    static CommandTemplate for_task(std::string task_name);

    // inputs: one value per input source (several with more than one :::).
    JobSpec make_job(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs) const;
    // The same, into a job whose buffers are reused (the dispatch hot path).
    void fill_job(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                  JobSpec& job) const;

    bool uses_shell() const { return kind_ == JobSpec::Kind::shell; }
    bool is_task() const { return kind_ == JobSpec::Kind::task; }

  private:
    struct Part {
        enum class Kind {
            literal,
            input,
            input_no_ext,
            basename,
            dirname,
            basename_no_ext,
            seq,
            slot
        };
        Kind kind;
        std::string text;
    };
    using Parts = std::vector<Part>;
    static Parts parse(const std::string& text);
    static bool has_replacement(const Parts& parts);
    void expand(const Parts& parts, uint64_t seq, uint32_t slot,
                const std::vector<std::string>& inputs, bool quote, std::string& out) const;

    JobSpec::Kind kind_ = JobSpec::Kind::argv;
    Parts line_;                // shell
    std::vector<Parts> words_;  // argv
    std::string task_name_;     // task
};

}  // namespace ringrun
