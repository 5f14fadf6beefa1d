// GNU parallel's replacement strings in a piece of text: {} {.} {/} {//} {/.} {#} {%},
// their positional forms {N} {N.} {N/} {N//} {N/.}, and column names from --header
// ({name}, {name.} ...). Parsing happens once per run; expansion per job, without
// allocating once buffers are warm. Text that is not a known replacement string stays
// literal (so shell code such as awk '{print $1}' passes through untouched).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runner/templates/shell_context.hpp"

namespace ringrun {

class ReplacementText {
  public:
    ReplacementText() = default;
    // column_names: names from --header, in input position order (position 1 first).
    // plus: GNU parallel's --plus strings too ({..} {...} {/..} {/...} {+/} {+.} {+..}
    // {+...}); without it they stay literal, as shell brace expansions such as {1..3}.
    explicit ReplacementText(std::string_view text,
                             const std::vector<std::string>& column_names = {}, bool plus = false);

    bool has_replacement() const;
    // The last n of a job's inputs are {= =} values (perl_expression.hpp), not inputs.
    void set_computed_count(size_t n) { computed_count_ = n; }
    // True when an input ({}, {N}, {name}, ...) is replaced somewhere in the text.
    bool has_input() const;
    // True when the text is exactly "{}".
    bool is_whole_input() const;
    // True when a replacement string follows a backslash (\{}): no quoting of its value
    // is safe there, and a shell template must be refused.
    bool has_replacement_after_backslash() const;

    // Appends the expansion to out. Several inputs in one {} are joined by spaces; with
    // quote, each substituted value is shell-quoted for where it stands in the text read
    // as a shell command line (bare, '...', "...", `...`), so it stays literal.
    void expand(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs, bool quote,
                std::string& out) const;
    // The same as argv words: where {} joins several inputs, a new word begins (what the
    // shell would make of the quoted line). Appends to words from index used, returns
    // the new count (words are reused, not reallocated).
    size_t expand_words(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                        std::vector<std::string>& words, size_t used) const;

  private:
    enum class Modifier : uint8_t {
        none,
        no_ext,
        basename,
        dirname,
        basename_no_ext,
        // --plus
        no_ext2,
        no_ext3,
        basename_no_ext2,
        basename_no_ext3,
        dir_or_empty,
        ext,
        ext2,
        ext3
    };
    struct Part {
        enum class Kind : uint8_t { literal, input, seq, slot, computed } kind;
        Modifier modifier = Modifier::none;
        uint32_t position = 0;  // input: 0 for all inputs, N for {N}; computed: its index
        bool from_end = false;  // {-N}: the Nth input from the last
        std::string text;       // literal
        ShellPlace place;       // input: where it stands, read as a shell command line
    };
    template <typename Sink>
    void expand_parts(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                      bool quote, Sink& sink) const;
    std::vector<Part> parts_;
    size_t computed_count_ = 0;
};

// Path pieces as GNU parallel computes them (exposed for tests).
std::string_view basename_of(std::string_view path);
std::string_view dirname_of(std::string_view path);
std::string_view without_extension(std::string_view path);

}  // namespace ringrun
